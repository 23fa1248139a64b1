"""StreamField blocks for free-form pages (about, contact, services)."""

from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    page = blocks.PageChooserBlock()

    class Meta:
        icon = "link"
        template = "blocks/call_to_action.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", template="blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul", "h3"])
    image = ImageBlock()
    quote = blocks.BlockQuoteBlock()
    call_to_action = CallToActionBlock()
