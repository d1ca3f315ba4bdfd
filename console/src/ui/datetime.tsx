import { TextInput, type TextInputProps } from '@mantine/core';

/**
 * An ISO 8601 instant as a `datetime-local` input's value in the browser's time zone, to the minute
 * (`2026-03-01T14:30`); "" for none or an unreadable instant.
 */
export function localInputOf(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (the browser's time zone) → ISO 8601 (UTC); null when empty or not a date. */
export function isoOfLocalInput(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * A date-and-time field (the browser's own picker, in its locale and time zone): its value is a
 * `datetime-local` string — convert with {@link localInputOf} / {@link isoOfLocalInput}.
 */
export function DateTimeInput(props: Omit<TextInputProps, 'type'>) {
  return <TextInput type="datetime-local" {...props} />;
}
