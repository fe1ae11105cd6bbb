// Calls to the gateway's mini-program API (/wechat/miniprogram/…), as promises.
const config = require('./config')
const session = require('./session')

const PREFIX = '/wechat/miniprogram'

function request(method, path, data, extraHeader) {
  return new Promise((resolve, reject) => {
    const header = Object.assign({ 'content-type': 'application/json' }, extraHeader || {})
    const sid = session.sessionId()
    if (sid) header['X-Session'] = sid
    wx.request({
      url: config.apiBase + PREFIX + path,
      method,
      data,
      header,
      timeout: config.timeout,
      success(res) {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          resolve(res.data)
          return
        }
        const error = (res.data && res.data.error) || {}
        reject({ status: res.statusCode, code: error.code || '', message: error.message || '请求失败，请稍后再试' })
      },
      fail() {
        reject({ status: 0, code: 'NETWORK', message: '网络异常，请稍后再试' })
      }
    })
  })
}

function bearer(uscc) {
  const token = uscc ? session.tokenFor(uscc) : ''
  return token ? { Authorization: 'Bearer ' + token } : {}
}

function login() {
  return new Promise((resolve, reject) => {
    wx.login({
      success(res) {
        if (!res.code) {
          reject({ status: 0, code: 'LOGIN', message: '微信登录失败，请重试' })
          return
        }
        request('POST', '/login', { code: res.code }).then(body => resolve(session.save(body)), reject)
      },
      fail() {
        reject({ status: 0, code: 'LOGIN', message: '微信登录失败，请重试' })
      }
    })
  })
}

function bind(code) {
  return request('POST', '/bind', { code }).then(body => {
    session.addEnterprise(body.uscc, body.token)
    return body
  })
}

module.exports = {
  request,
  login,
  bind,
  search: q => request('GET', '/search?q=' + encodeURIComponent(q)),
  report: uscc => request('GET', '/report?uscc=' + encodeURIComponent(uscc), undefined, bearer(uscc)),
  recognition: uscc => request('GET', '/recognition?uscc=' + encodeURIComponent(uscc)),
  qrcode: uscc => request('GET', '/qrcode?uscc=' + encodeURIComponent(uscc), undefined, bearer(uscc)),
  subscribe: (uscc, on) => request('POST', '/subscribe', { uscc, on })
}
