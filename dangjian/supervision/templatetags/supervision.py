"""Template filters of the supervision supermarket: the public view masks personal data in every text it shows."""

from django import template

from dangjian.supervision.masking import mask

register = template.Library()


@register.filter
def masked(text: str, letter) -> str:
    """`{{ follow_up.body|masked:letter }}`: the text with the letter's known names and personal data masked."""
    return mask(text, letter.redaction_terms())


@register.filter
def event_label(verb: str) -> str:
    from dangjian.supervision.models import EVENT_LABELS

    return str(EVENT_LABELS.get(verb, verb))
