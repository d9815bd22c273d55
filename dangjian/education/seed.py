"""The library's seed: the six categories with their sub-categories, the six topics, Huichang's local industries.

Loaded by a data migration (so every installation has them) and idempotent.
"""

from __future__ import annotations

# (slug, name, [(slug, name), ...]) as the seed of the education supermarket lists them.
CATEGORIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("history", "党史文献", [("history-party", "党的历史"), ("history-documents", "重要文献"),
                             ("history-huichang", "会昌党史与中央苏区")]),
    ("classics", "经典著作", [("classics-marxism", "马克思主义经典"), ("classics-mao", "毛泽东著作"),
                              ("classics-xi", "习近平著作选读")]),
    ("editions", "党报党刊电子版", [("editions-renmin", "人民日报"), ("editions-qiushi", "求是"),
                                    ("editions-jiangxi", "江西日报"), ("editions-gannan", "赣南日报")]),
    ("knowledge", "党建知识园地", [("knowledge-rules", "党章党规"), ("knowledge-life", "组织生活"),
                                   ("knowledge-members", "党员教育管理")]),
    ("lectures", "党建专题讲座", [("lectures-party", "党课"), ("lectures-experts", "专家讲座"),
                                  ("lectures-grassroots", "基层党建")]),
    ("policy", "政策形势报告", [("policy-rural", "“三农”政策"), ("policy-revival", "乡村振兴"),
                                ("policy-situation", "形势报告")]),
]  # fmt: skip

TOPICS: list[tuple[str, str]] = [
    ("sannong", "中央“三农”政策"),
    ("technology", "农村实用技术"),
    ("wealth", "农民致富信息"),
    ("business", "企业经营管理"),
    ("experts", "名师专家讲座"),
    ("culture", "文化娱乐"),
]

INDUSTRIES: list[tuple[str, str]] = [
    ("navel-orange", "脐橙"), ("rice", "水稻"), ("rice-noodles", "米粉加工"), ("rabbit", "肉兔"),
    ("camellia", "油茶"), ("lotus", "白莲"), ("vegetables", "蔬菜"), ("tobacco", "烟叶"), ("pigs", "生猪"),
    ("tea", "茶叶"),
]  # fmt: skip


def load(category_model, topic_model, industry_model) -> None:
    for order, (slug, name, children) in enumerate(CATEGORIES, 1):
        parent, _ = category_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
        for child_order, (child_slug, child_name) in enumerate(children, 1):
            category_model.objects.get_or_create(
                slug=child_slug, defaults={"name": child_name, "order": child_order, "parent": parent}
            )
    for order, (slug, name) in enumerate(TOPICS, 1):
        topic_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    for slug, name in INDUSTRIES:
        industry_model.objects.get_or_create(slug=slug, defaults={"name": name})
