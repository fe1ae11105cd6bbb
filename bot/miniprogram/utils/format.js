// Small helpers the pages share.
function isUSCC(text) {
  return /^[0-9A-HJ-NPQRTUWXY]{18}$/.test(String(text || '').replace(/\s|-/g, '').toUpperCase())
}

function normalise(text) {
  return String(text || '').replace(/\s|-/g, '').toUpperCase()
}

function errorText(err) {
  return (err && err.message) || '请求失败，请稍后再试'
}

module.exports = { isUSCC, normalise, errorText }
