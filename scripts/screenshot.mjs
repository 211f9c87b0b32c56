// The README's screenshot (scripts/screenshot): the app with its demo
// folder open, in headless Chromium, written to the path given.
import { openApp } from '../tests/e2e/harness.mjs';

const out = process.argv[2];
const app = await openApp();
try {
  const { page } = app;
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.click('#open-demo');
  await page.locator('#models tbody tr').first().waitFor();
  await page.locator('#models tbody tr').first().click();
  await page.locator('#summary').scrollIntoViewIfNeeded();
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out}`);
} finally {
  await app.close();
}
