// Where the alliance gateway is. Set it to the deployment's HTTPS address (a request domain configured in
// the mini-program's console); tests replace wx.request, so the value is never contacted there.
module.exports = {
  apiBase: 'https://alliance.example.com',
  timeout: 10000
}
