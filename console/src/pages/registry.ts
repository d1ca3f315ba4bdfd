import type { ComponentType } from 'react';
import type { Access } from '../api/session';
import AuditPage from './audit/AuditPage';
import CustomersPage from './customers/CustomersPage';
import DashboardPage from './dashboard/DashboardPage';
import MirrorPage from './mirror/MirrorPage';
import OrdersPage from './orders/OrdersPage';
import PromotionsPage from './promotions/PromotionsPage';
import QualityPage from './quality/QualityPage';
import StockPage from './stock/StockPage';

/**
 * One page of the console: its path under /console, its label (common namespace), who may open it, and its
 * component. A page's own routes hang below its path (`/customers/*`).
 */
export interface PageDef {
  path: string;
  label: string;
  /** Whether the signed-in key may open the page: the navigation offers only these. */
  allowed(access: Access): boolean;
  Component: ComponentType;
}

/** Every page, in the navigation's order. */
export const PAGES: PageDef[] = [
  { path: 'dashboard', label: 'nav.dashboard', allowed: (a) => a.can('dashboard'), Component: DashboardPage },
  { path: 'mirror', label: 'nav.mirror', allowed: (a) => a.can('mirror'), Component: MirrorPage },
  { path: 'customers', label: 'nav.customers', allowed: (a) => a.can('customers'), Component: CustomersPage },
  { path: 'orders', label: 'nav.orders', allowed: (a) => a.can('orders'), Component: OrdersPage },
  {
    path: 'stock',
    label: 'nav.stock',
    allowed: (a) => a.can('stock') || a.can('prices'),
    Component: StockPage,
  },
  {
    path: 'promotions',
    label: 'nav.promotions',
    allowed: (a) => a.can('promotions'),
    Component: PromotionsPage,
  },
  { path: 'quality', label: 'nav.quality', allowed: (a) => a.can('quality'), Component: QualityPage },
  { path: 'audit', label: 'nav.audit', allowed: (a) => a.can('audit'), Component: AuditPage },
];
