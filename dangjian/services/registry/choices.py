"""The registry's fixed vocabularies: the 56 ethnic groups (GB 3304-1991), statuses, stages, degrees, ranks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

#: GB 3304-1991 《中国各民族名称的罗马字母拼写法和代码》: (code, name (msgid: the zh_Hans catalogue carries the
#: official Chinese name), official Chinese name for import files).
ETHNIC_GROUPS = (
    ("01", _("Han"), "汉族"),
    ("02", _("Mongol"), "蒙古族"),
    ("03", _("Hui"), "回族"),
    ("04", _("Tibetan"), "藏族"),
    ("05", _("Uygur"), "维吾尔族"),
    ("06", _("Miao"), "苗族"),
    ("07", _("Yi"), "彝族"),
    ("08", _("Zhuang"), "壮族"),
    ("09", _("Buyei"), "布依族"),
    ("10", _("Korean"), "朝鲜族"),
    ("11", _("Manchu"), "满族"),
    ("12", _("Dong"), "侗族"),
    ("13", _("Yao"), "瑶族"),
    ("14", _("Bai"), "白族"),
    ("15", _("Tujia"), "土家族"),
    ("16", _("Hani"), "哈尼族"),
    ("17", _("Kazak"), "哈萨克族"),
    ("18", _("Dai"), "傣族"),
    ("19", _("Li"), "黎族"),
    ("20", _("Lisu"), "傈僳族"),
    ("21", _("Va"), "佤族"),
    ("22", _("She"), "畲族"),
    ("23", _("Gaoshan"), "高山族"),
    ("24", _("Lahu"), "拉祜族"),
    ("25", _("Sui"), "水族"),
    ("26", _("Dongxiang"), "东乡族"),
    ("27", _("Naxi"), "纳西族"),
    ("28", _("Jingpo"), "景颇族"),
    ("29", _("Kirgiz"), "柯尔克孜族"),
    ("30", _("Tu"), "土族"),
    ("31", _("Daur"), "达斡尔族"),
    ("32", _("Mulao"), "仫佬族"),
    ("33", _("Qiang"), "羌族"),
    ("34", _("Blang"), "布朗族"),
    ("35", _("Salar"), "撒拉族"),
    ("36", _("Maonan"), "毛南族"),
    ("37", _("Gelao"), "仡佬族"),
    ("38", _("Xibe"), "锡伯族"),
    ("39", _("Achang"), "阿昌族"),
    ("40", _("Pumi"), "普米族"),
    ("41", _("Tajik"), "塔吉克族"),
    ("42", _("Nu"), "怒族"),
    ("43", _("Uzbek"), "乌孜别克族"),
    ("44", _("Russian"), "俄罗斯族"),
    ("45", _("Ewenki"), "鄂温克族"),
    ("46", _("Deang"), "德昂族"),
    ("47", _("Bonan"), "保安族"),
    ("48", _("Yugur"), "裕固族"),
    ("49", _("Gin"), "京族"),
    ("50", _("Tatar"), "塔塔尔族"),
    ("51", _("Derung"), "独龙族"),
    ("52", _("Oroqen"), "鄂伦春族"),
    ("53", _("Hezhen"), "赫哲族"),
    ("54", _("Monba"), "门巴族"),
    ("55", _("Lhoba"), "珞巴族"),
    ("56", _("Jino"), "基诺族"),
)
ETHNICITY_CHOICES = [(code, name) for code, name, _zh in ETHNIC_GROUPS]
#: "汉族", "汉", "01" → "01": what import files may say.
ETHNICITY_LOOKUP: dict[str, str] = {}
for _code, _name, _zh in ETHNIC_GROUPS:
    ETHNICITY_LOOKUP.update({_code: _code, _zh: _code, _zh.removesuffix("族"): _code})


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Stage(models.TextChoices):
    """培养发展: 申请人 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员 (or not a member at all)."""

    NONE = "none", _("Not a party member")
    APPLICANT = "applicant", _("Applicant")
    ACTIVIST = "activist", _("Activist")
    CANDIDATE = "candidate", _("Candidate for membership")
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")


MEMBER_STAGES = (Stage.PROBATIONARY, Stage.FULL)


class Status(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    SUSPENDED = "suspended", _("Membership suspended")
    LEFT = "left", _("Left the party")
    DECEASED = "deceased", _("Deceased")


class Degree(models.TextChoices):
    NONE = "", _("Unknown")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")
    VOCATIONAL = "vocational", _("Secondary vocational")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor")
    MASTER = "master", _("Master")
    DOCTOR = "doctor", _("Doctorate")


class Rank(models.TextChoices):
    """Cadre ranks (公务员职务与职级), the ones a county deals with."""

    NONE = "", _("None")
    STAFF = "staff", _("Staff member")
    DEPUTY_SECTION = "deputy_section", _("Deputy section level")
    SECTION = "section", _("Section level")
    DEPUTY_DIVISION = "deputy_division", _("Deputy division level")
    DIVISION = "division", _("Division level")


class TalentCategory(models.TextChoices):
    PARTY_GOVERNMENT = "party_government", _("Party and government talent")
    ENTERPRISE = "enterprise", _("Enterprise management talent")
    PROFESSIONAL = "professional", _("Professional and technical talent")
    SKILLED = "skilled", _("Highly skilled talent")
    RURAL = "rural", _("Rural practical talent")
    SOCIAL_WORK = "social_work", _("Social work talent")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")
