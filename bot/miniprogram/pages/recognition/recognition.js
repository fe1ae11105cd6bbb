// Which member parks recognise the enterprise's rating, and why (or why not); recognising parks first.
const api = require('../../utils/api')
const format = require('../../utils/format')

Component({
  data: { uscc: '', name: '', items: [], recognisedCount: 0, parkCount: 0, loading: false, loaded: false, error: '' },
  methods: {
    onLoad(options) {
      const uscc = format.normalise(options && options.uscc)
      this.setData({ uscc, loading: true })
      return api.recognition(uscc).then(body => {
        const items = body.recognition.slice().sort((a, b) => Number(b.recognised) - Number(a.recognised))
          .map(item => Object.assign({ key: item.park.id }, item))
        this.setData({
          name: body.name || '', items, recognisedCount: body.recognisedCount, parkCount: body.parkCount,
          loading: false, loaded: true
        })
      }, err => this.setData({ loading: false, error: format.errorText(err) }))
    }
  }
})
