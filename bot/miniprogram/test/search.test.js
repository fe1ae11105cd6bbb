const { loadPage, serve, text, flush } = require('./helpers')
const { WHDH, SHZJ } = require('./fixtures')

beforeEach(() => {
  wx.navigateTo = jest.fn()
})

test('a name search lists the matching enterprises and opens one', async () => {
  const calls = serve({
    'GET /search': () => ({
      data: {
        query: '有限公司',
        hits: [
          { uscc: '914403001922038216', name: '华为技术有限公司', grade: 'AA', parks: [WHDH] },
          { uscc: '91440300708461136T', name: '深圳市腾讯计算机系统有限公司', grade: 'AAA', parks: [SHZJ] }
        ]
      }
    })
  })
  const page = loadPage('search')
  page.instance.onInput({ detail: { value: '有限公司' } })
  await page.instance.onSearch()
  await flush()
  expect(calls[0].query).toBe('q=' + encodeURIComponent('有限公司'))
  const hits = page.querySelectorAll('.hit')
  expect(hits.length).toBe(2)
  expect(text(page)).toContain('华为技术有限公司')
  expect(text(page)).toContain('AAA 级')
  expect(text(page)).toContain('上海张江高新区')
  hits[1].dispatchEvent('tap')
  await flush()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/report/report?uscc=91440300708461136T' })
})

test('a full USCC opens the report without a search', async () => {
  const calls = serve({})
  const page = loadPage('search')
  page.instance.onInput({ detail: { value: ' 9144 0300 1922 0382 16 ' } })
  await page.instance.onSearch()
  expect(calls.length).toBe(0)
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/report/report?uscc=914403001922038216' })
})

test('no hits and errors are said in Chinese', async () => {
  serve({ 'GET /search': () => ({ data: { query: '不存在', hits: [] } }) })
  const page = loadPage('search')
  page.instance.onInput({ detail: { value: '不存在的公司' } })
  await page.instance.onSearch()
  await flush()
  expect(text(page)).toContain('未找到相关企业')

  serve({ 'GET /search': () => ({ statusCode: 400, data: { error: { message: '统一社会信用代码有误：校验位应为 6，实为 7' } } }) })
  await page.instance.onSearch()
  await flush()
  expect(text(page)).toContain('校验位应为 6')

  page.instance.onInput({ detail: { value: '华' } })
  await page.instance.onSearch()
  await flush()
  expect(text(page)).toContain('至少输入 2 个字')
})
