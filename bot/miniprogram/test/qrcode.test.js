const jsQR = require('jsqr')
const { loadPage, serve, text, flush } = require('./helpers')
const qr = require('../utils/qr')
const session = require('../utils/session')

// A bundle-like string of the given length: the prefix and base64url characters, as make_bundle writes them.
function bundleOf(length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let s = 'acb1.'
  let x = 12345
  while (s.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648
    s += alphabet[x % 64]
  }
  return s
}

// Paint the matrix as a scanner would see it (quiet zone, 3 pixels a module) and read it back with jsQR.
function decode(m) {
  const scale = 3
  const side = (m.size + 8) * scale
  const data = new Uint8ClampedArray(side * side * 4).fill(255)
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (!m.rows[r][c]) continue
      for (let y = 0; y < scale; y++) {
        for (let x = 0; x < scale; x++) {
          const i = (((r + 4) * scale + y) * side + (c + 4) * scale + x) * 4
          data[i] = data[i + 1] = data[i + 2] = 0
        }
      }
    }
  }
  const found = jsQR(data, side, side)
  return found && found.data
}

test.each([300, 1800, 2300, 2900])('a bundle of %i characters fits a QR code that reads back exactly', length => {
  const bundle = bundleOf(length)
  const m = qr.matrix(bundle)
  expect(m.size).toBeLessThanOrEqual(177) // version 40 at most
  expect(decode(m)).toBe(bundle)
})

test('drawing paints the dark modules inside a quiet zone', () => {
  const m = qr.matrix('acb1.hello')
  const rects = []
  const ctx = { fillRect: (...a) => rects.push([ctx.fillStyle, ...a]), fillStyle: '' }
  qr.draw(ctx, m, (m.size + 8) * 2)
  expect(rects[0]).toEqual(['#ffffff', 0, 0, (m.size + 8) * 2, (m.size + 8) * 2])
  const dark = m.rows.flat().filter(Boolean).length
  expect(rects.length).toBe(dark + 1)
  expect(rects.slice(1).every(r => r[0] === '#000000' && r[1] >= 8 && r[2] >= 8)).toBe(true)
})

describe('the QR page', () => {
  beforeEach(() => session.clear())

  test('asks an enterprise that is not bound for its binding code, binds, then shows the code', async () => {
    const bundle = bundleOf(1500)
    wx.login = jest.fn(o => o.success({ code: 'CODE-1' }))
    const calls = serve({
      'POST /login': () => ({ data: { session: 'S1', enterprises: [], token: null } }),
      'POST /bind': req => (req.data.code === 'ABCD-EFGH'
        ? { data: { uscc: '914403001922038216', token: 'TOKEN-1' } }
        : { statusCode: 400, data: { error: { message: '绑定码无效、已使用或已过期' } } }),
      'GET /qrcode': req => ({
        data: {
          uscc: '914403001922038216', name: '华为技术有限公司', park: { id: 'whdh', name: '武汉东湖高新区' },
          grade: 'AA', validTo: '2026-01-01', bundle, statusListIncluded: true, auth: req.header.Authorization
        }
      })
    })
    const page = loadPage('qrcode')
    await page.instance.onLoad({ uscc: '914403001922038216' })
    expect(text(page)).toContain('出示信用二维码需先绑定本企业')

    page.instance.onCode({ detail: { value: 'WRONG' } })
    await page.instance.onBind()
    await flush()
    expect(text(page)).toContain('绑定码无效、已使用或已过期')

    page.instance.onCode({ detail: { value: 'ABCD-EFGH' } })
    await page.instance.onBind()
    await flush()
    expect(calls.map(c => c.method + ' ' + c.path)).toEqual(['POST /login', 'POST /bind', 'POST /bind', 'GET /qrcode'])
    expect(calls[1].header['X-Session']).toBe('S1')
    expect(calls[3].header.Authorization).toBe('Bearer TOKEN-1')
    const shown = text(page)
    expect(shown).toContain('AA 级 · 武汉东湖高新区 · 有效期至 2026-01-01')
    expect(shown).toContain('和撤销状态列表')
    expect(shown).toContain('1500 字符')
    expect(decode(page.instance.matrix)).toBe(bundle)
  })

  test('a refused token sends the user back to binding', async () => {
    session.save({ session: 'S2', enterprises: [{ uscc: '914403001922038216', token: 'OLD' }] })
    serve({ 'GET /qrcode': () => ({ statusCode: 401, data: { error: { message: '登录已失效，请重新登录' } } }) })
    const page = loadPage('qrcode')
    await page.instance.onLoad({ uscc: '914403001922038216' })
    await flush()
    expect(text(page)).toContain('登录已失效')
    expect(page.instance.data.needBind).toBe(true)
  })
})
