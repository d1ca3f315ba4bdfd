import { Route, Routes } from 'react-router';
import { CustomerView } from './CustomerView';
import { SearchView } from './SearchView';

/**
 * The customers page: find a customer (`/customers`, by e-mail, phone, card or name) and see her whole
 * relationship (`/customers/:id`).
 */
export default function CustomersPage() {
  return (
    <Routes>
      <Route index element={<SearchView />} />
      <Route path=":id" element={<CustomerView />} />
    </Routes>
  );
}
