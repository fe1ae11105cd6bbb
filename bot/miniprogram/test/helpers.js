// Shared test set-up: load a page (built with the Component constructor) and answer its wx.request calls.
const path = require('path')
const simulate = require('miniprogram-simulate')
const config = require('../utils/config')

const ROOT = path.resolve(__dirname, '..')
const API = config.apiBase + '/wechat/miniprogram'

// A page's definition runs once per test file (jest keeps required modules); each test renders a new instance.
const loaded = {}

function loadPage(name) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(ROOT, 'pages', name, name), { rootPath: ROOT })
  const page = simulate.render(loaded[name])
  page.attach(document.createElement('parent-wrapper'))
  return page
}

// routes: { 'GET /report': (req) => ({ statusCode, data }) }; the calls are recorded in `calls`.
function serve(routes) {
  const calls = []
  wx.request = jest.fn(req => {
    const url = req.url.startsWith(API) ? req.url.slice(API.length) : req.url
    const pathOnly = url.split('?')[0]
    calls.push(Object.assign({ path: pathOnly, query: url.split('?')[1] || '' }, req))
    const handler = routes[req.method + ' ' + pathOnly]
    setTimeout(() => {
      if (!handler) {
        req.fail({ errMsg: 'request:fail' })
        return
      }
      const res = handler(req)
      req.success(Object.assign({ statusCode: 200, header: {} }, res))
    }, 0)
  })
  return calls
}

function text(page) {
  return page.dom.textContent.replace(/\s+/g, ' ')
}

const flush = () => new Promise(resolve => setTimeout(resolve, 5))

module.exports = { ROOT, API, loadPage, serve, text, flush, simulate }
