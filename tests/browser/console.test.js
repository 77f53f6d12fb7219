// Drives the auditor console (GET /console, CONTRACT.md §13) in headless Chromium, the way an
// auditor uses it: sign in, browse and filter the log, verify, download the JSONL export and the
// latest checkpoint, then paste that checkpoint (accepted) and a tampered copy (refused).
//
// Usage: node console.test.js BASE_URL
//   CHROMIUM          the browser to drive (default /usr/bin/chromium; never downloaded)
//   AUDITOR_EMAIL     default auditor@demo.trastienda (the demo company's auditor)
//   AUDITOR_PASSWORD  default demo-password-auditor
// Run by .ci/console.sh against `trastienda serve --demo`. Exit status 0 when every step passed.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const base = process.argv[2];
if (!base) {
  console.error("usage: node console.test.js BASE_URL");
  process.exit(2);
}
const email = process.env.AUDITOR_EMAIL || "auditor@demo.trastienda";
const password = process.env.AUDITOR_PASSWORD || "demo-password-auditor";

function step(text) {
  console.log(`- ${text}`);
}

async function download(page, buttonId) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(buttonId)]);
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), "utf8") };
}

async function rows(page) {
  return page.$$eval("#log-rows tr.event", (trs) =>
    trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
}

async function main() {
  // A fresh profile every run: nothing cached, nothing remembered.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "trastienda-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const problems = [];
  const offsite = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
    });
    // The page works offline: it must not ask for anything outside the server.
    page.on("request", (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith("blob:") && !req.url().startsWith("data:")) {
        offsite.push(req.url());
      }
    });

    const response = await page.goto(`${base}/console`);
    assert.equal(response.status(), 200);
    const csp = response.headers()["content-security-policy"] || "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-/);
    step("the console loads under its Content-Security-Policy");

    await page.fill("#password", "wrong password, surely");
    await page.fill("#email", email);
    await page.click("#sign-in");
    await page.waitForSelector("#login-error:has-text('Sign-in failed')");
    await page.fill("#password", password);
    await page.click("#sign-in");
    await page.waitForSelector("#app:not([hidden])");
    assert.match(await page.textContent("#signed-in"), /AUDITOR in \*/);
    step("signs in as the auditor (a wrong password is refused first)");

    await page.waitForSelector("#log-rows tr.event");
    const first = await rows(page);
    assert.ok(first.length > 10, `the demo log has events (${first.length})`);
    const seqs = first.map((r) => Number(r[0]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), "newest first");
    await page.click("#next-page");
    await page.waitForFunction((top) => {
      const cell = document.querySelector("#log-rows tr.event td");
      return cell && Number(cell.textContent) < top;
    }, seqs[seqs.length - 1] + 1);
    const older = await rows(page);
    assert.ok(Number(older[0][0]) < seqs[seqs.length - 1], "the next page is older");
    step(`browses the log (${first.length} events a page, then older ones)`);

    await page.fill("#f-entity-type", "Invoice");
    await page.click("#apply-filter");
    await page.waitForFunction(() => {
      const cells = Array.from(document.querySelectorAll("#log-rows tr.event td:nth-child(5)"));
      return cells.length > 0 && cells.every((c) => c.textContent.startsWith("Invoice"));
    });
    assert.match(await page.textContent("#total"), /^\d+ events match/);
    await page.click("#clear-filter");
    await page.selectOption("#f-outcome", "SUCCESS");
    await page.fill("#f-action", "login");
    await page.click("#apply-filter");
    await page.waitForFunction(() => {
      const trs = Array.from(document.querySelectorAll("#log-rows tr.event"));
      return trs.length > 0 && trs.every((tr) => tr.children[3].textContent === "login" && tr.children[6].textContent === "SUCCESS");
    });
    const logins = await rows(page);
    assert.ok(logins.some((r) => r[2] === email), "our own sign-in is on the record");
    await page.click("#log-rows tr.event");
    await page.waitForSelector("#log-rows tr.detail:not([hidden]) pre");
    step("filters the log by entity type, then by action and outcome, and opens an event");

    await page.click("#verify-full");
    await page.waitForSelector("#verify-result.ok");
    assert.match(await page.textContent("#verify-result"), /Chain valid: \d+ events checked/);
    step(`verifies the chain: ${await page.textContent("#verify-result")}`);

    const exported = await download(page, "#download-export");
    const lines = exported.text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
    assert.ok(lines.length > 10);
    lines.forEach((e, i) => {
      assert.equal(e.seq, i + 1, "a complete export, from seq 1");
      assert.match(e.hash, /^[0-9a-f]{64}$/);
      if (i > 0) assert.equal(e.prevHash, lines[i - 1].hash, "chained");
    });
    step(`downloads the export: ${exported.name}, ${lines.length} events`);

    await page.click("#make-checkpoint");
    await page.waitForSelector("#evidence-result.ok:has-text('Checkpoint signed')");
    const kept = await download(page, "#download-checkpoint");
    const [origin, size, root, blank, signature] = kept.text.split("\n");
    assert.equal(origin, "trastienda.example/audit");
    assert.ok(Number(size) >= lines.length, `size ${size}`);
    assert.match(root, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(blank, "");
    assert.ok(signature.startsWith("\u2014 "), "a signed note");
    const key = await page.textContent("#verifier-key");
    assert.ok(key.startsWith(signature.split(" ")[1] + "+"), `signed by the verifier key shown (${key})`);
    step(`downloads the latest checkpoint: ${kept.name}, tree size ${size}`);

    await page.click("#verify-checkpoint");
    await page.waitForSelector("#verify-result.ok:has-text('after the checkpoint')");
    step(`verifies since the checkpoint: ${await page.textContent("#verify-result")}`);

    await page.fill("#checkpoint-text", kept.text);
    await page.click("#check-checkpoint");
    await page.waitForSelector("#check-result.ok");
    assert.match(await page.textContent("#check-result"), /^ACCEPTED/);
    step(`a pasted checkpoint is accepted: ${await page.textContent("#check-result")}`);

    const tampered = kept.text.replace(`\n${size}\n`, `\n${Number(size) - 1}\n`);
    assert.notEqual(tampered, kept.text);
    await page.fill("#checkpoint-text", tampered);
    await page.click("#check-checkpoint");
    await page.waitForSelector("#check-result.bad");
    assert.match(await page.textContent("#check-result"), /^REFUSED/);
    step(`a tampered checkpoint is refused: ${await page.textContent("#check-result")}`);

    await page.click("#sign-out");
    await page.waitForSelector("#login-section:not([hidden])");
    step("signs out");

    assert.deepEqual(problems, [], "no script error and no Content-Security-Policy violation");
    assert.deepEqual(offsite, [], "nothing requested outside the server");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => console.log("console: every step passed"),
  (err) => {
    console.error(`console: FAILED: ${err.stack || err}`);
    process.exit(1);
  },
);
