// The QR code of an attestation bundle: the module matrix (qrcode-generator), and drawing it on a canvas.
// A bundle is ASCII (base64url with a prefix), so byte mode at error-correction level L holds up to 2,953
// characters; level M is used when the bundle is small enough, for a code that survives a worn screen.
const qrcode = require('qrcode-generator')

const M_CAPACITY = 2331 // bytes at version 40, level M

function matrix(text) {
  const qr = qrcode(0, text.length <= M_CAPACITY ? 'M' : 'L')
  qr.addData(text, 'Byte')
  qr.make()
  const size = qr.getModuleCount()
  const rows = []
  for (let r = 0; r < size; r++) {
    const row = []
    for (let c = 0; c < size; c++) row.push(qr.isDark(r, c))
    rows.push(row)
  }
  return { size, rows }
}

// Draw with a quiet zone of 4 modules, as scanners expect; `pixels` is the canvas side in pixels.
function draw(ctx, m, pixels) {
  const cell = pixels / (m.size + 8)
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, pixels, pixels)
  ctx.fillStyle = '#000000'
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (m.rows[r][c]) ctx.fillRect((c + 4) * cell, (r + 4) * cell, Math.ceil(cell), Math.ceil(cell))
    }
  }
}

module.exports = { matrix, draw }
