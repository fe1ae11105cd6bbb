// What the mini-program keeps after logging in: an opaque session id and the enterprise tokens issued by the
// gateway. WeChat's session key never reaches the client (the gateway drops it), so there is none to keep.
const KEY = 'alliance-session'

let current = null

function load() {
  if (current) return current
  try {
    current = wx.getStorageSync(KEY) || null
  } catch (e) {
    current = null
  }
  return current
}

function save(value) {
  current = {
    session: value.session || '',
    enterprises: (value.enterprises || []).map(e => ({ uscc: e.uscc, token: e.token, subscribed: !!e.subscribed }))
  }
  try {
    wx.setStorageSync(KEY, current)
  } catch (e) {
    // storage full or unavailable: the session still lives in memory
  }
  return current
}

function addEnterprise(uscc, token) {
  const now = load() || { session: '', enterprises: [] }
  const others = now.enterprises.filter(e => e.uscc !== uscc)
  return save({ session: now.session, enterprises: others.concat([{ uscc, token }]) })
}

function tokenFor(uscc) {
  const now = load()
  const found = now && now.enterprises.find(e => e.uscc === uscc)
  return found ? found.token : ''
}

function sessionId() {
  const now = load()
  return now ? now.session : ''
}

function clear() {
  current = null
  try {
    wx.removeStorageSync(KEY)
  } catch (e) {
    // nothing to remove
  }
}

module.exports = { load, save, addEnterprise, tokenFor, sessionId, clear }
