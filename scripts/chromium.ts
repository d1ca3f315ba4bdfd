/**
 * How the project starts a browser (tests and the screenshot scripts): Debian's Chromium
 * (`/usr/bin/chromium`, which .ci/run installs when missing) through playwright-core, headless, with nothing
 * of its own running in the background (a closed network would only refuse its connections).
 */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
  ],
};
