// The mini-program: log in once (wx.login → the alliance gateway → an enterprise token when bound).
const api = require('./utils/api')

App({
  onLaunch() {
    // Logging in early lets a bound enterprise see its full report at once; a failure only means
    // the public view until the user tries again.
    api.login().catch(() => {})
  }
})
