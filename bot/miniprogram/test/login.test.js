const api = require('../utils/api')
const session = require('../utils/session')
const { serve } = require('./helpers')

beforeEach(() => session.clear())

test('wx.login → the gateway → the session and enterprise tokens are kept; nothing else', async () => {
  wx.login = jest.fn(o => o.success({ code: 'CODE-42' }))
  const stored = {}
  wx.setStorageSync = jest.fn((k, v) => { stored[k] = JSON.parse(JSON.stringify(v)) })
  const calls = serve({
    'POST /login': req => ({
      data: {
        session: 'SESSION-1', expiresIn: 7200, token: 'T1', uscc: '914403001922038216',
        enterprises: [{ uscc: '914403001922038216', token: 'T1', subscribed: false }]
      }
    })
  })
  const kept = await api.login()
  expect(calls[0].data).toEqual({ code: 'CODE-42' })
  expect(kept.session).toBe('SESSION-1')
  expect(session.tokenFor('914403001922038216')).toBe('T1')
  expect(JSON.stringify(stored)).not.toMatch(/session_key/i)
  expect(Object.keys(stored['alliance-session']).sort()).toEqual(['enterprises', 'session'])
})

test('a failed wx.login or a refused code is an error the page can show', async () => {
  wx.login = jest.fn(o => o.fail({ errMsg: 'login:fail' }))
  await expect(api.login()).rejects.toMatchObject({ message: '微信登录失败，请重试' })
  wx.login = jest.fn(o => o.success({ code: 'USED' }))
  serve({ 'POST /login': () => ({ statusCode: 400, data: { error: { code: 'INVALID_CODE', message: '登录凭证无效或已使用，请重新登录' } } }) })
  await expect(api.login()).rejects.toMatchObject({ status: 400, code: 'INVALID_CODE' })
})
