const { loadPage, serve, text, flush } = require('./helpers')
const { report } = require('./fixtures')
const session = require('../utils/session')

beforeEach(() => {
  wx.navigateTo = jest.fn()
  session.clear()
})

test('the report shows grade, park, validity, recognition, listings, measures and silent parks', async () => {
  const calls = serve({ 'GET /report': () => ({ data: report() }) })
  const page = loadPage('report')
  await page.instance.onLoad({ uscc: '914403001922038216' })
  await flush()
  expect(calls[0].query).toBe('uscc=914403001922038216')
  expect(calls[0].header.Authorization).toBeUndefined() // not bound: the public view
  const shown = text(page)
  expect(shown).toContain('华为技术有限公司')
  expect(shown).toContain('AA（信用良好）')
  expect(shown).toContain('评级园区：武汉东湖高新区')
  expect(shown).toContain('有效期：2025-01-01 至 2026-01-01')
  expect(shown).toContain('联盟互认：2/4 个成员园区认可')
  expect(shown).toContain('成都高新区：未采用标准 ACS 2025.1')
  expect(shown).toContain('红名单（上海张江高新区，自 2025-03-01）：纳税信用A级')
  expect(shown).toContain('守信激励：绿色通道')
  expect(shown).toContain('长沙高新区（超时未应答）')
  expect(shown).not.toContain('评分')
  expect(shown).not.toContain('出示信用二维码')
  expect(shown).toContain('绑定后查看完整报告')

  page.querySelector('.recognition').dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/recognition/recognition?uscc=914403001922038216' })
})

test('a bound enterprise sends its token and sees its score and the QR button', async () => {
  session.addEnterprise('914403001922038216', 'TOKEN-ABC')
  const full = report({ fullView: true })
  full.ratings[0].score = 85.5
  const calls = serve({ 'GET /report': () => ({ data: full }) })
  const page = loadPage('report')
  await page.instance.onLoad({ uscc: '914403001922038216' })
  await flush()
  expect(calls[0].header.Authorization).toBe('Bearer TOKEN-ABC')
  expect(text(page)).toContain('评分：85.5')
  expect(text(page)).toContain('出示信用二维码')
})

test('an invalid rating is marked, and an error is shown in Chinese', async () => {
  const revoked = report()
  Object.assign(revoked.ratings[0], { valid: false, status: 'REVOKED', statusText: '已撤销' })
  serve({ 'GET /report': () => ({ data: revoked }) })
  const page = loadPage('report')
  await page.instance.onLoad({ uscc: '914403001922038216' })
  await flush()
  expect(text(page)).toContain('该评级已撤销，不能用于互认')

  serve({ 'GET /report': () => ({ statusCode: 400, data: { error: { message: '统一社会信用代码有误：校验位应为 6，实为 7' } } }) })
  const other = loadPage('report')
  await other.instance.onLoad({ uscc: '914403001922038217' })
  await flush()
  expect(text(other)).toContain('校验位应为 6')
})
