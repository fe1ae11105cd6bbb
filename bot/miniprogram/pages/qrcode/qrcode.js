// The QR code an enterprise shows to a counterparty: its attestation bundle, verifiable offline with the
// alliance's public key alone. Only the enterprise itself (bound, with its token) can get the bundle.
const api = require('../../utils/api')
const format = require('../../utils/format')
const qr = require('../../utils/qr')
const session = require('../../utils/session')

const PIXELS = 300

Component({
  data: { uscc: '', qr: null, modules: 0, pixels: PIXELS, loading: false, error: '', needBind: false, code: '', binding: false },
  methods: {
    onLoad(options) {
      const uscc = format.normalise(options && options.uscc)
      this.setData({ uscc })
      if (!session.tokenFor(uscc)) {
        this.setData({ needBind: true })
        return Promise.resolve()
      }
      return this.fetch()
    },
    fetch() {
      this.setData({ loading: true, error: '' })
      return api.qrcode(this.data.uscc).then(body => {
        const m = qr.matrix(body.bundle)
        this.matrix = m
        this.setData({ qr: body, modules: m.size, loading: false, needBind: false })
        this.draw()
      }, err => {
        this.setData({ loading: false, error: format.errorText(err), needBind: err.status === 401 })
      })
    },
    draw() {
      const m = this.matrix
      if (!m || typeof wx.createSelectorQuery !== 'function') return
      wx.createSelectorQuery().in(this).select('#qr').fields({ node: true, size: true }).exec(res => {
        const canvas = res && res[0] && res[0].node
        if (!canvas) return
        const ratio = (wx.getWindowInfo ? wx.getWindowInfo().pixelRatio : 2) || 2
        canvas.width = PIXELS * ratio
        canvas.height = PIXELS * ratio
        const ctx = canvas.getContext('2d')
        qr.draw(ctx, m, PIXELS * ratio)
      })
    },
    onCode(e) {
      this.setData({ code: e.detail.value })
    },
    onBind() {
      const code = String(this.data.code || '').trim()
      if (!code) {
        this.setData({ error: '请输入园区发放的绑定码' })
        return Promise.resolve()
      }
      this.setData({ binding: true, error: '' })
      const ready = session.sessionId() ? Promise.resolve() : api.login()
      return ready.then(() => api.bind(code)).then(body => {
        this.setData({ binding: false, code: '' })
        if (body.uscc !== this.data.uscc) {
          this.setData({ error: '该绑定码属于另一家企业（' + body.uscc + '），已为您绑定该企业' })
          return undefined
        }
        return this.fetch()
      }, err => this.setData({ binding: false, error: format.errorText(err) }))
    }
  }
})
