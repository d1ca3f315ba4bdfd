/**
 * The demo retailer: "Noordkust Mode", a Dutch fashion chain with one webshop warehouse and six stores,
 * a few hundred SKUs (coats, trousers, knitwear, shirts, accessories in colours and sizes), a base price
 * list, a scheduled sale price list, quantity tiers and realistic stock. Pure data: the same clock gives the
 * same data.
 */
import { demoFulfilment, type DemoFulfilment } from './demo-fulfilment.js';
import { seededRandom } from '../../shared/index.js';

export interface DemoProduct {
  sku: string;
  name: string;
  category: string;
  attributes: Record<string, string>;
  vatRateBp: number;
}
export interface DemoLocation {
  id: string;
  name: string;
  kind: 'WAREHOUSE' | 'STORE';
  fulfilsOnline: boolean;
}
export interface DemoPriceList {
  id: string;
  name: string;
  currency: string;
  priority: number;
  validFrom: Date | null;
  validTo: Date | null;
}
export interface DemoPrice {
  priceListId: string;
  sku: string;
  minQuantity: number;
  amount: number;
}
export interface DemoStock {
  sku: string;
  locationId: string;
  onHand: number;
  safetyStock: number;
}

export interface DemoRetailer {
  locations: DemoLocation[];
  products: DemoProduct[];
  priceLists: DemoPriceList[];
  prices: DemoPrice[];
  stock: DemoStock[];
  /** Each location's fulfilment settings, the shipping zones and the sourcing rules (demo-fulfilment.ts). */
  fulfilment: DemoFulfilment;
}

const LOCATIONS: DemoLocation[] = [
  { id: 'wh-tilburg', name: 'Webshop warehouse Tilburg', kind: 'WAREHOUSE', fulfilsOnline: true },
  { id: 'ams-01', name: 'Amsterdam Kalverstraat', kind: 'STORE', fulfilsOnline: true },
  { id: 'rtm-01', name: 'Rotterdam Lijnbaan', kind: 'STORE', fulfilsOnline: false },
  { id: 'utr-01', name: 'Utrecht Hoog Catharijne', kind: 'STORE', fulfilsOnline: false },
  { id: 'dhg-01', name: 'Den Haag Grote Marktstraat', kind: 'STORE', fulfilsOnline: false },
  { id: 'ehv-01', name: 'Eindhoven Demer', kind: 'STORE', fulfilsOnline: false },
  { id: 'gro-01', name: 'Groningen Herestraat', kind: 'STORE', fulfilsOnline: false },
];

interface Style {
  code: string;
  name: string;
  category: string;
  colours: string[];
  sizes: string[];
  price: number;
  material: string;
}

const LETTER_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const WAIST_SIZES = ['28', '30', '32', '34', '36', '38'];

const STYLES: Style[] = [
  {
    code: 'COAT-ARCTIC',
    name: 'Arctic parka',
    category: 'coats',
    colours: ['navy', 'black', 'olive'],
    sizes: LETTER_SIZES,
    price: 24995,
    material: 'recycled polyester',
  },
  {
    code: 'COAT-HARBOUR',
    name: 'Harbour wool coat',
    category: 'coats',
    colours: ['camel', 'charcoal'],
    sizes: LETTER_SIZES,
    price: 29995,
    material: 'wool',
  },
  {
    code: 'COAT-DUNE',
    name: 'Dune trench coat',
    category: 'coats',
    colours: ['sand', 'black'],
    sizes: LETTER_SIZES,
    price: 17995,
    material: 'cotton',
  },
  {
    code: 'COAT-POLDER',
    name: 'Polder rain jacket',
    category: 'coats',
    colours: ['yellow', 'navy', 'red'],
    sizes: LETTER_SIZES,
    price: 12995,
    material: 'coated cotton',
  },
  {
    code: 'COAT-WADDEN',
    name: 'Wadden puffer',
    category: 'coats',
    colours: ['black', 'silver'],
    sizes: LETTER_SIZES,
    price: 19995,
    material: 'down',
  },
  {
    code: 'TRS-GRACHT',
    name: 'Gracht chino',
    category: 'trousers',
    colours: ['beige', 'navy', 'olive'],
    sizes: WAIST_SIZES,
    price: 7995,
    material: 'cotton',
  },
  {
    code: 'TRS-DIJK',
    name: 'Dijk slim jeans',
    category: 'trousers',
    colours: ['indigo', 'black'],
    sizes: WAIST_SIZES,
    price: 8995,
    material: 'denim',
  },
  {
    code: 'TRS-VELD',
    name: 'Veld cargo trousers',
    category: 'trousers',
    colours: ['khaki', 'black'],
    sizes: WAIST_SIZES,
    price: 8495,
    material: 'ripstop',
  },
  {
    code: 'TRS-KADE',
    name: 'Kade wool trousers',
    category: 'trousers',
    colours: ['grey', 'navy'],
    sizes: WAIST_SIZES,
    price: 11995,
    material: 'wool',
  },
  {
    code: 'KNT-ZEE',
    name: 'Zee cable knit',
    category: 'knitwear',
    colours: ['cream', 'navy', 'forest'],
    sizes: LETTER_SIZES,
    price: 8995,
    material: 'merino',
  },
  {
    code: 'KNT-MOLEN',
    name: 'Molen roll neck',
    category: 'knitwear',
    colours: ['black', 'burgundy'],
    sizes: LETTER_SIZES,
    price: 6995,
    material: 'lambswool',
  },
  {
    code: 'KNT-TULP',
    name: 'Tulp cardigan',
    category: 'knitwear',
    colours: ['pink', 'grey'],
    sizes: LETTER_SIZES,
    price: 7995,
    material: 'cotton',
  },
  {
    code: 'SHT-VAART',
    name: 'Vaart oxford shirt',
    category: 'shirts',
    colours: ['white', 'blue'],
    sizes: LETTER_SIZES,
    price: 5995,
    material: 'cotton',
  },
  {
    code: 'SHT-STRAND',
    name: 'Strand linen shirt',
    category: 'shirts',
    colours: ['white', 'sand', 'sky'],
    sizes: LETTER_SIZES,
    price: 6495,
    material: 'linen',
  },
  {
    code: 'SHT-HAVEN',
    name: 'Haven flannel shirt',
    category: 'shirts',
    colours: ['red check', 'green check'],
    sizes: LETTER_SIZES,
    price: 5495,
    material: 'flannel',
  },
  {
    code: 'DRS-LENTE',
    name: 'Lente wrap dress',
    category: 'dresses',
    colours: ['black', 'emerald', 'floral'],
    sizes: LETTER_SIZES,
    price: 9995,
    material: 'viscose',
  },
  {
    code: 'DRS-BLOEM',
    name: 'Bloem knit dress',
    category: 'dresses',
    colours: ['grey', 'camel'],
    sizes: LETTER_SIZES,
    price: 10995,
    material: 'merino',
  },
  {
    code: 'ACC-SJAAL',
    name: 'Sjaal wool scarf',
    category: 'accessories',
    colours: ['grey', 'camel', 'navy', 'red'],
    sizes: ['one size'],
    price: 3995,
    material: 'wool',
  },
  {
    code: 'ACC-MUTS',
    name: 'Muts beanie',
    category: 'accessories',
    colours: ['black', 'orange', 'navy', 'ochre'],
    sizes: ['one size'],
    price: 2495,
    material: 'merino',
  },
  {
    code: 'ACC-SOKKEN',
    name: 'Sokken 3-pack socks',
    category: 'accessories',
    colours: ['mixed dark', 'mixed bright'],
    sizes: ['39-42', '43-46'],
    price: 1495,
    material: 'cotton',
  },
];

function code(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]+/g, '');
}

/** Midnight in Amsterdam (CET, UTC+1 in winter) of the day after `now`. */
function nextAmsterdamMidnight(now: Date): Date {
  const cet = new Date(now.getTime() + 3_600_000);
  const next = Date.UTC(cet.getUTCFullYear(), cet.getUTCMonth(), cet.getUTCDate() + 1);
  return new Date(next - 3_600_000);
}

/**
 * Builds the demo retailer's data. The sale list starts at the next midnight after `now` and runs 14 days, so
 * a fresh install shows a scheduled price switch.
 * @example const demo = generateDemoRetailer(new Date());
 */
export function generateDemoRetailer(now: Date, seed = 20261122): DemoRetailer {
  const rnd = seededRandom(seed);
  const products: DemoProduct[] = [];
  const prices: DemoPrice[] = [];
  const stock: DemoStock[] = [];
  const saleStart = nextAmsterdamMidnight(now);
  const priceLists: DemoPriceList[] = [
    {
      id: 'base-eur',
      name: 'Base prices (EUR)',
      currency: 'EUR',
      priority: 0,
      validFrom: null,
      validTo: null,
    },
    {
      id: 'winter-sale',
      name: 'Winter sale: coats and knitwear -30%',
      currency: 'EUR',
      priority: 10,
      validFrom: saleStart,
      validTo: new Date(saleStart.getTime() + 14 * 86_400_000),
    },
  ];
  for (const style of STYLES) {
    for (const colour of style.colours) {
      for (const size of style.sizes) {
        const sku = `NK-${style.code}-${code(colour)}${size === 'one size' ? '' : `-${code(size)}`}`;
        products.push({
          sku,
          name: `${style.name}, ${colour}${size === 'one size' ? '' : `, ${size}`}`,
          category: style.category,
          attributes: { colour, size, material: style.material, style: style.code },
          vatRateBp: 2100,
        });
        prices.push({ priceListId: 'base-eur', sku, minQuantity: 1, amount: style.price });
        if (style.code === 'ACC-SOKKEN')
          prices.push({ priceListId: 'base-eur', sku, minQuantity: 3, amount: style.price - 300 });
        if (style.category === 'coats' || style.category === 'knitwear') {
          // 30% off, rounded down to a price ending in 95 cents: how a retailer prints sale tags.
          const sale = Math.floor((style.price * 0.7) / 100) * 100 - 5;
          prices.push({ priceListId: 'winter-sale', sku, minQuantity: 1, amount: sale });
        }
        for (const loc of LOCATIONS) {
          const r = rnd();
          const onHand =
            loc.kind === 'WAREHOUSE' ? 20 + Math.floor(r * 180) : r < 0.15 ? 0 : 1 + Math.floor(r * 11);
          stock.push({ sku, locationId: loc.id, onHand, safetyStock: loc.kind === 'WAREHOUSE' ? 2 : 0 });
        }
      }
    }
  }
  return { locations: LOCATIONS, products, priceLists, prices, stock, fulfilment: demoFulfilment(LOCATIONS) };
}
