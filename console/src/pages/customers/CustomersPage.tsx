import { Box } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { READABLE_ERRORS } from './context';
import { CustomerView } from './CustomerView';
import { SearchView } from './SearchView';

/**
 * The customers page: find a customer (`/customers`, by e-mail, phone, card or name) and see her whole
 * relationship (`/customers/:id`).
 */
export default function CustomersPage() {
  return (
    <Box style={READABLE_ERRORS}>
      <Routes>
        <Route index element={<SearchView />} />
        <Route path=":id" element={<CustomerView />} />
      </Routes>
    </Box>
  );
}
