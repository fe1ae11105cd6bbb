// Search by name or USCC; a full, valid-looking USCC opens the report directly.
const api = require('../../utils/api')
const format = require('../../utils/format')

Component({
  data: { query: '', hits: [], loading: false, searched: false, error: '' },
  methods: {
    onLoad(options) {
      if (options && options.q) {
        this.setData({ query: options.q })
        return this.onSearch()
      }
      return Promise.resolve()
    },
    onInput(e) {
      this.setData({ query: e.detail.value })
    },
    onSearch() {
      const query = String(this.data.query || '').trim()
      if (query.length < 2) {
        this.setData({ error: '请至少输入 2 个字，或 18 位统一社会信用代码' })
        return Promise.resolve()
      }
      if (format.isUSCC(query)) {
        this.open(format.normalise(query))
        return Promise.resolve()
      }
      this.setData({ loading: true, error: '' })
      return api.search(query).then(body => {
        const hits = (body.hits || []).map(h => Object.assign({}, h, { parkNames: h.parks.map(p => p.name).join('、') }))
        this.setData({ hits, loading: false, searched: true })
      }, err => {
        this.setData({ loading: false, searched: true, hits: [], error: format.errorText(err) })
      })
    },
    onOpen(e) {
      this.open(e.currentTarget.dataset.uscc)
    },
    open(uscc) {
      wx.navigateTo({ url: '/pages/report/report?uscc=' + uscc })
    }
  }
})
