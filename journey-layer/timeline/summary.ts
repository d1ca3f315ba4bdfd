import { formatMoney } from '../../shared/index.js';

/*
 * The plain-English line each interaction shows ("Viewed SKU-1 (Winter coat)"). Made from what the hub
 * knows (SKUs, product and location names, amounts, statuses), never from an agent's note: the note is kept
 * apart, so a list of summaries never quotes one.
 */

/** The most characters a summary holds (the column's limit); longer ones are cut with an ellipsis. */
export const MAX_SUMMARY_LENGTH = 500;

/** The summary cut to {@link MAX_SUMMARY_LENGTH} characters. */
export function fitSummary(text: string): string {
  return text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 1)}…`;
}

/** A product or location as summaries name it: `SKU-1 (Winter coat)`, or the id alone without a name. */
export function named(id: string, name: string | null | undefined): string {
  return name ? `${id} (${name})` : id;
}

/** Where a staff channel's contact took place when no location is named. */
const CHANNEL_PLACE: Readonly<Record<string, string>> = {
  CALL_CENTER: 'at the call center',
  STORE: 'at a store',
  CONSOLE: 'through the console',
  ADMIN: 'through the back office',
  APP: 'in the app',
  WEB: 'on the web shop',
};

/** Where an interaction took place: the location when named, else the channel's place. */
export function placeOf(channel: string, location: string | null): string {
  return location ? `at ${location}` : (CHANNEL_PLACE[channel] ?? `through ${channel}`);
}

/** "1 item", "3 items". */
export function items(units: number): string {
  return `${units} item${units === 1 ? '' : 's'}`;
}

/** A money amount in minor units, as English readers write it (`€59.90`). */
export function amount(minor: number, currency: string): string {
  return formatMoney({ amount: minor, currency }, 'en-GB');
}

/** The first eight characters of an id, as summaries name orders and fulfilments. */
export function short(id: string): string {
  return id.slice(0, 8);
}
