// An enterprise's report: every park's rating, recognition across the alliance, listings and measures.
const api = require('../../utils/api')
const format = require('../../utils/format')

Component({
  data: {
    uscc: '', report: null, loading: false, error: '',
    ratings: [], refused: [], activeListings: [], measures: [], silent: [], silentText: '', validCount: 0
  },
  methods: {
    onLoad(options) {
      const uscc = format.normalise(options && options.uscc)
      this.setData({ uscc, loading: true, error: '' })
      return api.report(uscc).then(report => this.show(report), err => {
        this.setData({ loading: false, error: format.errorText(err) })
      })
    },
    show(report) {
      const silent = report.sources.filter(s => s.statusText)
      const keyed = (list, key) => list.map((item, i) => Object.assign({ key: key(item) + ':' + i }, item))
      this.setData({
        report,
        loading: false,
        ratings: keyed(report.ratings, r => r.park.id),
        refused: keyed(report.ratings.length ? report.recognition.filter(r => !r.recognised) : [], r => r.park.id),
        activeListings: keyed(report.listings.filter(l => l.active), l => l.park.id),
        measures: keyed(report.measures, m => m.code),
        silent,
        silentText: silent.map(s => s.park.name + '（' + s.statusText + '）').join('、'),
        validCount: report.ratings.filter(r => r.valid).length
      })
    },
    onRecognition() {
      wx.navigateTo({ url: '/pages/recognition/recognition?uscc=' + this.data.uscc })
    },
    onQRCode() {
      wx.navigateTo({ url: '/pages/qrcode/qrcode?uscc=' + this.data.uscc })
    },
    onBind() {
      wx.navigateTo({ url: '/pages/qrcode/qrcode?uscc=' + this.data.uscc })
    }
  }
})
