"""The demo's member parks: real national high-tech zones, their cities and GB/T 2260 region codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPark:
    id: str
    name: str
    city: str
    region: str  # GB/T 2260 code, positions 3-8 of the USCCs of enterprises registered there


PARKS: tuple[DemoPark, ...] = (
    DemoPark("wuhan-donghu", "武汉东湖新技术开发区", "武汉", "420100"),
    DemoPark("shanghai-zhangjiang", "上海张江高科技园区", "上海", "310115"),
    DemoPark("chengdu-gaoxin", "成都高新技术产业开发区", "成都", "510100"),
    DemoPark("changsha-gaoxin", "长沙高新技术产业开发区", "长沙", "430100"),
    DemoPark("jining-gaoxin", "济宁高新技术产业开发区", "济宁", "370800"),
    DemoPark("beijing-zhongguancun", "中关村科技园区", "北京", "110108"),
    DemoPark("shenzhen-gaoxin", "深圳高新技术产业园区", "深圳", "440300"),
    DemoPark("hangzhou-gaoxin", "杭州高新技术产业开发区", "杭州", "330100"),
    DemoPark("suzhou-gongye", "苏州工业园区", "苏州", "320500"),
    DemoPark("xian-gaoxin", "西安高新技术产业开发区", "西安", "610100"),
    DemoPark("hefei-gaoxin", "合肥高新技术产业开发区", "合肥", "340100"),
    DemoPark("nanjing-gaoxin", "南京高新技术产业开发区", "南京", "320100"),
    DemoPark("guangzhou-gaoxin", "广州高新技术产业开发区", "广州", "440100"),
    DemoPark("tianjin-binhai", "天津滨海高新技术产业开发区", "天津", "120116"),
    DemoPark("qingdao-gaoxin", "青岛高新技术产业开发区", "青岛", "370200"),
    DemoPark("xiamen-huoju", "厦门火炬高技术产业开发区", "厦门", "350200"),
    DemoPark("zhengzhou-gaoxin", "郑州高新技术产业开发区", "郑州", "410100"),
    DemoPark("jinan-gaoxin", "济南高新技术产业开发区", "济南", "370100"),
    DemoPark("shenyang-hunnan", "沈阳高新技术产业开发区", "沈阳", "210100"),
    DemoPark("dalian-gaoxin", "大连高新技术产业园区", "大连", "210200"),
    DemoPark("chongqing-gaoxin", "重庆高新技术产业开发区", "重庆", "500107"),
    DemoPark("kunming-gaoxin", "昆明高新技术产业开发区", "昆明", "530100"),
    DemoPark("harbin-gaoxin", "哈尔滨高新技术产业开发区", "哈尔滨", "230100"),
)
