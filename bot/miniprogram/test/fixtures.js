// Answers shaped as the gateway's mini-program API gives them (bot/views.py).
const park = (id, name, city) => ({ id, name, city })
const WHDH = park('whdh', '武汉东湖高新区', '武汉')
const SHZJ = park('sh-zj', '上海张江高新区', '上海')
const CDGX = park('cd-gx', '成都高新区', '成都')
const CSGX = park('cs-gx', '长沙高新区', '长沙')

function report(overrides) {
  return Object.assign({
    uscc: '914403001922038216',
    name: '华为技术有限公司',
    fullView: false,
    homePark: WHDH,
    ratings: [{
      park: WHDH, grade: 'AA', gradeLabel: '信用良好', score: null, standard: { id: 'ACS', version: '2025.1' },
      issuedAt: '2025-01-01T00:00:00+00:00', expiresAt: '2026-01-01T00:00:00+00:00',
      validFrom: '2025-01-01', validTo: '2026-01-01', valid: true, status: 'VALID', statusText: '有效',
      reason: 'valid', fromCache: false
    }],
    recognisedCount: 2,
    parkCount: 4,
    recognition: [
      { park: WHDH, recognised: true, reason: 'rated by 武汉东湖高新区 itself: grade AA', reasonText: '本园区评定为 AA 级', basisPark: WHDH },
      { park: SHZJ, recognised: true, reason: '', reasonText: '认可武汉东湖高新区评定的 AA 级（ACS 2025.1）', basisPark: WHDH },
      { park: CDGX, recognised: false, reason: '', reasonText: '未采用标准 ACS 2025.1', basisPark: null },
      { park: CSGX, recognised: false, reason: '', reasonText: '尚无成员园区为其评级', basisPark: null }
    ],
    listings: [{ park: SHZJ, kind: 'red', kindText: '红名单', reason: '纳税信用A级', legalBasis: '', since: '2025-03-01', until: null, active: true }],
    measures: [{ code: 'GREEN_CHANNEL', name: '绿色通道', kind: 'incentive', description: '', basis: '', parks: ['武汉东湖高新区'] }],
    sources: [
      { park: WHDH, status: 'OK', statusText: '', latencyMs: 12 },
      { park: CSGX, status: 'TIMEOUT', statusText: '超时未应答', latencyMs: 1500 }
    ]
  }, overrides || {})
}

module.exports = { WHDH, SHZJ, CDGX, CSGX, report }
