"""Chinese place names for the synthetic county, drawn deterministically.

Names are built from two-character stems (``新华``, ``白沙``, ``李家`` ...) and a
suffix that says what the unit is: ``街道`` (street office), ``镇`` (town), ``乡``
(township), ``社区`` (residents' committee), ``村`` (village committee). Each call
draws stems without replacement from a shuffled product of syllable lists, so names
are unique within one call and identical for the same random generator state.

>>> import numpy as np
>>> draw_names(np.random.default_rng(0), 2, "镇")[0].endswith("镇")
True
"""

from __future__ import annotations

import numpy as np

#: First characters of place-name stems (directions, colours, landforms, virtues).
_FIRST = tuple("东西南北新白青红金石龙凤马柳桃李杨黄高长平安永和兴清双三花沙竹梅松")
#: Second characters of place-name stems.
_SECOND = tuple("华沙山湖桥河岭坪港塘林园溪口田冈湾岗店铺城江泉门堡")
#: Surnames used for ``X家村`` / ``X家湾`` village names.
_SURNAMES = tuple("李王张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋"
                  "郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
#: Urban stems that sound like street offices and communities.
_URBAN = (
    "城关", "人民", "解放", "建设", "和平", "胜利", "团结", "光明", "红旗", "新华",
    "中山", "文化", "友谊", "幸福", "前进", "民主", "东风", "育才", "振兴", "复兴",
    "滨江", "滨湖", "南湖", "东湖", "西湖", "北湖", "花园", "车站", "公园", "体育",
    "学府", "阳光", "翠苑", "锦绣", "桂花", "玉兰", "丹桂", "春华", "秋实", "明珠",
)
#: Names for roads: national and provincial road numbers and street words.
_STREET_SUFFIX = ("路", "街", "大道", "大街", "巷")


def _stems(rng: np.random.Generator, n: int, urban: bool) -> list[str]:
    """Draw ``n`` distinct two-character stems, urban-sounding first when asked."""
    pool = [a + b for a in _FIRST for b in _SECOND]
    order = rng.permutation(len(pool))
    stems = [pool[i] for i in order]
    if urban:
        urban_order = rng.permutation(len(_URBAN))
        urban_stems = [_URBAN[i] for i in urban_order]
        stems = urban_stems + [s for s in stems if s not in set(urban_stems)]
    if n > len(stems):
        # Past ~1,000 names, number the extra ones: still unique, still readable.
        stems += [f"{stems[i % len(stems)]}{i // len(stems) + 1}" for i in range(n - len(stems))]
    return stems[:n]


def draw_names(
    rng: np.random.Generator, n: int, suffix: str, urban: bool = False,
    exclude: set[str] | None = None,
) -> list[str]:
    """Return ``n`` distinct names ending in ``suffix`` (e.g. ``"镇"``), avoiding ``exclude``.

    ``urban=True`` prefers stems like ``人民`` or ``滨江`` (street offices, communities).
    """
    exclude = exclude or set()
    stems = _stems(rng, n + len(exclude), urban)
    names = [s + suffix for s in stems if s + suffix not in exclude]
    return names[:n]


def village_names(rng: np.random.Generator, n: int, exclude: set[str] | None = None) -> list[str]:
    """Return ``n`` distinct village-committee names: ``李家村``, ``白沙村``, ``王家湾村``."""
    exclude = exclude or set()
    clan = [s + "家" for s in _SURNAMES] + [s + "家湾" for s in _SURNAMES]
    clan = [clan[i] for i in rng.permutation(len(clan))]
    places = _stems(rng, n + len(exclude), urban=False)
    # Interleave clan names and place names, as real village lists mix both.
    mixed = [name for pair in zip(clan, places, strict=False) for name in pair] + places[len(clan):]
    names = [m + "村" for m in mixed if m + "村" not in exclude]
    return names[:n]


def road_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return ``n`` distinct street names such as ``建设路`` or ``滨江大道``."""
    stems = _stems(rng, n, urban=True)
    suffix = rng.choice(len(_STREET_SUFFIX), size=n, p=(0.5, 0.25, 0.1, 0.1, 0.05))
    return [s + _STREET_SUFFIX[k] for s, k in zip(stems, suffix, strict=False)]
