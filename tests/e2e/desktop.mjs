// A real Chromium window on a virtual display, driven as a person drives
// it: the app's real folder dialog (GTK), the real save dialog, Chromium's
// real permission prompts, and a real folder on this machine's disk. No
// picker is replaced. Needs Debian's xvfb, xdotool and imagemagick
// (scripts/test installs them).
//
//   const app = await openDesktopApp();             // Xvfb + window + app
//   await pickFolder(app, '/tmp/x/.ollama');        // dialog, then "Allow"
//   await answerPrompt(app, 'allow');               // e.g. "edit files?"
//   await saveAs(app, '/tmp/x/out.tar');            // the save dialog
//   await app.close();
//
// How a person's steps are found on the screen (Chromium 156, GTK 3, no
// window manager): a dialog is its own X window, found by its title; a
// location typed after Ctrl+L, then a click on the dialog's bottom-right
// button, chooses. Chromium's prompts are drawn inside its window and dim
// the page behind them: the harness sees one by that dimming, and clicks
// its buttons, found by their colours, once Chromium takes input there. The prompt that restores a folder after a
// browser restart dims nothing: its buttons are found the same way.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, collectErrors, startServer, waitForBoot } from './harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Chromium's flags of the headless harness, minus --headless, plus a window
// placed at the top-left corner of the display.
const WINDOW_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--window-size=1200,850',
  '--window-position=0,0',
];

function need(tool, pkg) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} not found: install Debian's ${pkg} (scripts/test does)`);
  }
}

/** Starts Xvfb on a free display. Returns { display, close() }. */
export async function startDisplay() {
  need('Xvfb', 'xvfb');
  need('xdotool', 'xdotool');
  need('import', 'imagemagick');
  for (let n = 90 + (process.pid % 50); n < 400; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const server = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    let exited = false;
    server.once('exit', () => (exited = true));
    for (let i = 0; i < 100 && !exited && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await sleep(50);
    if (exited) continue; // taken meanwhile: try the next one
    if (!existsSync(`/tmp/.X11-unix/X${n}`)) throw new Error(`Xvfb :${n} did not start`);
    return {
      display: `:${n}`,
      close: async () => {
        if (exited) return;
        const gone = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await gone;
      },
    };
  }
  throw new Error('no free X display for Xvfb');
}

/** The desktop of one app: xdotool and screen captures on its display. */
class Desktop {
  constructor(display) {
    this.env = { ...process.env, DISPLAY: display };
  }

  xdo(...args) {
    return execFileSync('xdotool', args.map(String), { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  }

  /** Visible top-level windows: [{ id, name, x, y, width, height }]. */
  windows() {
    let ids;
    try {
      ids = this.xdo('search', '--onlyvisible', '--classname', '.').split('\n').filter(Boolean);
    } catch {
      return []; // none
    }
    return ids.flatMap((id) => {
      try {
        const geometry = this.xdo('getwindowgeometry', id);
        const [x, y] = geometry.match(/Position: (-?\d+),(-?\d+)/).slice(1).map(Number);
        const [width, height] = geometry.match(/Geometry: (\d+)x(\d+)/).slice(1).map(Number);
        return [{ id, name: this.xdo('getwindowname', id), x, y, width, height }];
      } catch {
        return []; // closed while we looked
      }
    });
  }

  /** The dialog window whose title matches `title` (waits for it). */
  async dialog(title, timeout = 15_000) {
    const end = Date.now() + timeout;
    for (;;) {
      const found = this.windows().find((w) => title.test(w.name) && !w.name.endsWith(' - Chromium'));
      if (found) return found;
      if (Date.now() > end) {
        const shot = path.join(tmpdir(), 'ollama-pack-no-dialog.png');
        this.screenshot(shot);
        throw new Error(`no dialog titled ${title} appeared (windows: ${JSON.stringify(this.windows().map((w) => w.name))}; screen: ${shot})`);
      }
      await sleep(100);
    }
  }

  async gone(window, timeout = 15_000) {
    const end = Date.now() + timeout;
    while (this.windows().some((w) => w.id === window.id)) {
      if (Date.now() > end) throw new Error(`the dialog "${window.name}" did not close`);
      await sleep(100);
    }
  }

  click(x, y) {
    this.xdo('mousemove', Math.round(x), Math.round(y));
    this.xdo('click', 1);
  }

  /** Moves the pointer out of the way (a button under it is drawn darker). */
  park() {
    this.xdo('mousemove', 5, 895);
  }

  /** Raw RGB bytes of a screen rectangle. */
  capture(x, y, width, height) {
    const args = ['-window', 'root', '-crop', `${width}x${height}+${x}+${y}`, '-depth', '8', 'rgb:-'];
    return execFileSync('import', args, { env: this.env, maxBuffer: 64 << 20 });
  }

  screenshot(file) {
    execFileSync('import', ['-window', 'root', file], { env: this.env });
  }
}

/**
 * Serves dist/, starts Xvfb and Chromium in a window on it, opens the app.
 * Chromium's HOME is a fresh folder (the dialogs start there). Returns
 * { page, context, server, url, errors, desktop, home, restart(), close() };
 * `restart()` quits Chromium and starts it again on the same profile (what
 * a person does when closing the browser), returning the new page.
 */
export async function openDesktopApp({ path: urlPath = '' } = {}) {
  const display = await startDisplay();
  const server = await startServer();
  const home = mkdtempSync(path.join(tmpdir(), 'ollama-pack-home-'));
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ollama-pack-window-'));
  const desktop = new Desktop(display.display);
  const launch = () =>
    chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: false,
      viewport: null,
      env: { ...process.env, DISPLAY: display.display, HOME: home },
      args: WINDOW_ARGS,
    });
  const app = { server, url: server.url, desktop, home, userDataDir, display };
  const start = async () => {
    app.context = await launch();
    app.page = app.context.pages()[0] ?? (await app.context.newPage());
    app.errors = collectErrors(app.page);
    await app.page.goto(server.url + urlPath);
    await waitForBoot(app.page);
    return app.page;
  };
  app.restart = async () => {
    await app.context.close();
    return start();
  };
  app.close = async () => {
    await app.context?.close().catch(() => {});
    await server.close();
    await display.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

/** Types `location` into a GTK file dialog and clicks its bottom-right button. */
async function chooseIn(app, dialog, location, { select = 'ctrl+l' } = {}) {
  const { desktop } = app;
  desktop.xdo('windowfocus', '--sync', dialog.id);
  desktop.xdo('key', select);
  await sleep(250);
  desktop.xdo('type', '--delay', 5, location);
  await sleep(250);
  // "Open" / "Save" sits at the bottom right, 24 px up, 50 px in.
  desktop.click(dialog.x + dialog.width - 50, dialog.y + dialog.height - 24);
  await desktop.gone(dialog);
}

/** Presses Cancel on a GTK dialog (Escape). */
async function cancelDialog(app, dialog) {
  app.desktop.xdo('windowfocus', '--sync', dialog.id);
  app.desktop.xdo('key', 'Escape');
  await app.desktop.gone(dialog);
}

/**
 * The page's area on the screen. The window sits at the display's corner
 * and has no frame; the tab strip, toolbar and any info bar are above.
 */
async function viewport(app) {
  return app.page.evaluate(() => ({
    x: window.screenX,
    y: window.screenY + window.outerHeight - window.innerHeight,
    width: window.innerWidth,
    height: window.innerHeight,
  }));
}

/**
 * Whether a Chromium prompt dims the page now: a strip near the page's
 * right edge (the page's background there is light) is sampled; under the
 * prompt's shade even white reads 102 of 255.
 */
async function dimmed(app) {
  const v = await viewport(app);
  const strip = app.desktop.capture(v.x + v.width - 24, v.y + Math.round(v.height / 3), 1, Math.round(v.height / 2));
  let brightest = 0;
  for (let i = 0; i + 2 < strip.length; i += 3) brightest = Math.max(brightest, strip[i], strip[i + 1], strip[i + 2]);
  return brightest < 140;
}

async function until(what, test, timeout) {
  const end = Date.now() + timeout;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// The colours of a prompt's buttons (Chromium 156): the prominent one
// ("Don't Allow", "Cancel") is filled dark blue, the other ("Allow",
// "Upload", "Save changes") light blue.
const LIGHT_BUTTON = (r, g, b) => Math.abs(r - 211) < 12 && Math.abs(g - 227) < 12 && Math.abs(b - 253) < 8;
const DARK_BUTTON = (r, g, b) => r < 40 && g > 70 && g < 110 && b > 180 && b < 225;

/** The centre of the pixels of one colour in a screen rectangle, if any. */
function centreOf(desktop, [x0, y0, w, h], colour, least = 400) {
  const rgb = desktop.capture(x0, y0, w, h);
  let [count, sx, sy] = [0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      if (colour(rgb[i], rgb[i + 1], rgb[i + 2])) [count, sx, sy] = [count + 1, sx + x, sy + y];
    }
  }
  return count >= least ? { x: x0 + sx / count, y: y0 + sy / count } : null;
}

/**
 * Answers the Chromium prompt that dims the page ("Allow this site to view
 * and copy files?", "Save changes to …?", "Upload N files to this site?")
 * as a person does: a click on "Allow"/"Save changes"/"Upload" ('allow')
 * or on "Don't Allow"/"Cancel" ('deny'), found by their colours in the
 * prompt (top centre of the window). Waits for it to appear and to close.
 */
export async function answerPrompt(app, answer, { timeout = 15_000, screenshot } = {}) {
  if (answer !== 'allow' && answer !== 'deny') throw new Error(`answer 'allow' or 'deny', not ${answer}`);
  await until('a Chromium prompt', () => dimmed(app), timeout);
  // Chromium ignores input a dialog gets right after it appears (its
  // protection against clicks meant for the page): wait, and click again
  // if the first one was still too early.
  await sleep(800);
  if (screenshot) app.desktop.screenshot(screenshot);
  const box = [300, 80, 600, 260];
  const fail = (what) => {
    const shot = path.join(tmpdir(), 'ollama-pack-prompt.png');
    app.desktop.screenshot(shot);
    return new Error(`${what} (screen: ${shot})`);
  };
  const colour = answer === 'allow' ? LIGHT_BUTTON : DARK_BUTTON;
  app.desktop.park();
  for (let attempt = 0; attempt < 3; attempt++) {
    // The prompt may still be drawing itself: look again for a while.
    let button = centreOf(app.desktop, box, colour);
    for (let look = 0; !button && look < 10; look++) {
      await sleep(300);
      button = centreOf(app.desktop, box, colour);
    }
    if (!button) throw fail(`no "${answer}" button in the prompt`);
    app.desktop.click(button.x, button.y);
    await sleep(300);
    try {
      await until('the prompt to close', async () => !(await dimmed(app)), 2_000);
      return;
    } catch {
      // not taken yet
    }
  }
  throw fail('the prompt did not close');
}

/** Whether a prompt dims the page right now (for tests that expect none). */
export const promptShown = dimmed;

/**
 * Clicks "Open models folder" (or `button`), chooses `dir` in the real
 * folder dialog and answers Chromium's "view and copy files?" prompt
 * (`answer`: 'allow', 'deny', or null when Chromium should not ask: a
 * folder it was allowed before in this browser session; then it checks
 * that no prompt came). `cancel: true` presses Cancel in the dialog.
 */
export async function pickFolder(app, dir, { answer = 'allow', button = '#open-folder', cancel = false } = {}) {
  await app.page.click(button);
  const dialog = await app.desktop.dialog(/^Select a folder/);
  if (cancel) return cancelDialog(app, dialog);
  await chooseIn(app, dialog, dir);
  if (answer) return answerPrompt(app, answer);
  await sleep(1000);
  if (await dimmed(app)) throw new Error(`Chromium asked about ${dir} again`);
}

/**
 * Chooses `dir` through an `<input type=file webkitdirectory>` (`input`,
 * a selector), as a person does: its dialog, then Chromium's "Upload N
 * files to this site?" ('allow' = Upload, 'deny' = Cancel).
 */
export async function chooseFolderInput(app, input, dir, { answer = 'allow' } = {}) {
  await app.page.click(input);
  const dialog = await app.desktop.dialog(/^Select Folder to Upload/);
  await chooseIn(app, dialog, dir);
  await answerPrompt(app, answer);
}

/** Chooses the file `file` through an `<input type=file>` (`input`, a selector). */
export async function chooseFile(app, input, file) {
  await app.page.click(input);
  const dialog = await app.desktop.dialog(/^(Open|Select|Choose)/);
  await chooseIn(app, dialog, file);
}

/**
 * Answers the save dialog that the page just opened (showSaveFilePicker):
 * the full path typed into its name field, then "Save". `cancel: true`
 * presses Cancel.
 */
export async function saveAs(app, file, { cancel = false } = {}) {
  const dialog = await app.desktop.dialog(/./);
  if (cancel) return cancelDialog(app, dialog);
  await chooseIn(app, dialog, file, { select: 'ctrl+a' });
}

/**
 * The buttons of the prompt Chromium shows when a page asks again for a
 * folder it had before the browser was restarted ("Allow this time",
 * "Allow on every visit", "Don't allow"), top to bottom: bands of its
 * button colour in the window's top-left quarter. Waits for them.
 */
async function restoreButtons(app, timeout = 15_000) {
  const [w, h] = [600, 500];
  const end = Date.now() + timeout;
  for (;;) {
    const rgb = app.desktop.capture(0, 80, w, h);
    const bands = [];
    for (let y = 0; y < h; y++) {
      // A row through a button: many pixels of its colour (its label too).
      let count = 0;
      let sum = 0;
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        if (Math.abs(rgb[i] - 211) < 12 && Math.abs(rgb[i + 1] - 227) < 12 && Math.abs(rgb[i + 2] - 253) < 8) {
          count++;
          sum += x;
        }
      }
      if (count < 150) continue;
      const last = bands.at(-1);
      if (last && last.bottom === y - 1) last.bottom = y;
      else bands.push({ top: y, bottom: y, x: Math.round(sum / count) });
    }
    const buttons = bands.filter((b) => b.bottom - b.top > 15).map((b) => ({ x: b.x, y: 80 + (b.top + b.bottom) / 2 }));
    if (buttons.length === 3) return buttons;
    if (Date.now() > end) {
      const shot = path.join(tmpdir(), 'ollama-pack-restore-prompt.png');
      app.desktop.screenshot(shot);
      throw new Error(`the restore prompt did not appear (found ${buttons.length} buttons; screen: ${shot})`);
    }
    await sleep(150);
  }
}

/** Answers the restore prompt: 'once' ("Allow this time"), 'always', or 'deny'. */
export async function answerRestorePrompt(app, answer = 'once') {
  const index = { once: 0, always: 1, deny: 2 }[answer];
  if (index === undefined) throw new Error(`answer 'once', 'always' or 'deny', not ${answer}`);
  await restoreButtons(app);
  await sleep(800); // see answerPrompt: input right after it appears is ignored
  for (let attempt = 0; attempt < 3; attempt++) {
    const buttons = await restoreButtons(app, 1_000).catch(() => null);
    if (!buttons) return; // answered
    app.desktop.click(buttons[index].x, buttons[index].y);
    await sleep(700);
  }
  throw new Error('the restore prompt did not take the click');
}
