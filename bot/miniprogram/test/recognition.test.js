const { loadPage, serve, text, flush } = require('./helpers')
const { report } = require('./fixtures')

test('every member park is listed, recognising ones first, with the reason', async () => {
  const r = report()
  serve({
    'GET /recognition': () => ({
      data: { uscc: r.uscc, name: r.name, recognisedCount: 2, parkCount: 4, recognition: r.recognition.slice().reverse() }
    })
  })
  const page = loadPage('recognition')
  await page.instance.onLoad({ uscc: r.uscc })
  await flush()
  const parks = page.querySelectorAll('.park')
  expect(parks.length).toBe(4)
  expect(text(page)).toContain('2/4 个成员园区认可该评级')
  const order = page.instance.data.items.map(i => i.recognised)
  expect(order).toEqual([true, true, false, false])
  expect(text(page)).toContain('✅ 认可 武汉东湖高新区')
  expect(text(page)).toContain('❌ 不认可 成都高新区')
  expect(text(page)).toContain('未采用标准 ACS 2025.1')
})

test('a network failure says so', async () => {
  serve({})
  const page = loadPage('recognition')
  await page.instance.onLoad({ uscc: '914403001922038216' })
  await flush()
  expect(text(page)).toContain('网络异常')
})
