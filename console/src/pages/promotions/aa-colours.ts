import type { CSSProperties } from 'react';

/**
 * Mantine colours that text takes, set dark enough for WCAG AA contrast (4.5:1) on white and on the light
 * grey of striped rows: field errors (Mantine's default red is 4.4:1 or less) and dimmed text such as input
 * descriptions. Set as CSS variables on a page's root element, so every input and text inside inherits
 * them; the theme's own values are overridden only there.
 */
export const AA_COLOURS = {
  '--mantine-color-error': 'var(--mantine-color-red-9)',
  '--mantine-color-dimmed': '#545b62',
} as CSSProperties;
