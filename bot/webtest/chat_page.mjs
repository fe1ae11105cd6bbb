// Drive the /chat page in headless Chromium as a person would: read the welcome, ask by code, tap a quick
// command, ask by name and pick from the list. Prints one JSON line with what was seen; saves a screenshot.
//   node chat_page.mjs <gateway URL> <screenshot.png> [chromium path]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'

const [base, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2)
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-profile-'))
const seen = { requests: [], replies: [], errors: [] }

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 420, height: 860 },
  locale: 'zh-CN',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']
})

async function ask(page, text) {
  const before = await page.locator('.msg.bot').count()
  await page.fill('#text', text)
  await page.click('#send')
  return lastReply(page, before)
}

async function lastReply(page, before) {
  await page.waitForFunction(n => {
    const bots = document.querySelectorAll('.msg.bot')
    return bots.length > n && !bots[bots.length - 1].classList.contains('wait')
  }, before, { timeout: 30000 })
  const reply = await page.locator('.msg.bot').last().textContent()
  seen.replies.push(reply)
  return reply
}

try {
  const page = context.pages()[0] || await context.newPage()
  page.on('request', r => seen.requests.push(r.url()))
  page.on('pageerror', e => seen.errors.push(String(e)))
  page.on('console', m => { if (m.type() === 'error') seen.errors.push(m.text()) })
  await page.goto(base + '/chat', { waitUntil: 'load' })
  seen.title = await page.title()
  seen.welcome = await page.locator('.msg.bot').first().textContent()

  await ask(page, '查询 914403001922038216')
  const before = await page.locator('.msg.bot').count()
  await page.click('.quick button[data-text="互认"]')
  await lastReply(page, before)
  await ask(page, '查询 股份有限公司')
  await ask(page, '2')
  await ask(page, '查询 914403001922038217')
  await ask(page, '查询 914403001922038216')
  seen.cookie = (await context.cookies()).map(c => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))
  await page.screenshot({ path: screenshot, fullPage: false })
  seen.ok = true
} catch (e) {
  seen.ok = false
  seen.failure = String(e && e.stack || e)
} finally {
  await context.close()
  fs.rmSync(profile, { recursive: true, force: true })
}
console.log(JSON.stringify(seen))
