"""The notes and reasons the transform gives a record, marked for the catalogue (each is
shown in the reader's language with its parameters, see ``connectors.messages``)."""

from connectors.messages import gettext_noop

THE_PRIORITY_HAS_NO_MATCH_ON = gettext_noop(
    "The priority '%(value)s' has no match on the target; the target's default is used."
)
THE_TYPE_HAS_NO_MATCH_ON = gettext_noop(
    "The type '%(value)s' has no match on the target; the target's default is used."
)
THE_HAS_NO_MATCH_ON_THE = gettext_noop(
    "The %(what)s '%(value)s' has no match on the target; the target's default is used."
)
THE_ATTACHMENT_IS_LARGER_THAN_THE = gettext_noop(
    "The attachment %(file)s is larger than the %(limit)s the target accepts per file."
)
THE_TICKET_HAS_NO_REQUESTER_ON = gettext_noop(
    "The ticket has no requester on the source, and the target needs one for every ticket."
)
AGENT_IS_DELETED_INACTIVE_OR_NOT = gettext_noop(
    "Agent %(id)s is deleted, inactive or not matched on the target, and no default agent was "
    "chosen; the ticket was left unassigned."
)
GROUP_IS_DELETED_OR_NOT_MATCHED = gettext_noop(
    "Group %(id)s is deleted or not matched on the target; no group set."
)
THE_ATTACHMENT_IS_THE_TARGET_ACCEPTS = gettext_noop(
    "The attachment %(file)s is %(size)s; the target accepts at most %(limit)s per file."
)
ARTICLE_STATUS_HAS_NO_MATCH_SAVED = gettext_noop(
    "Article status '%(status)s' has no match; saved as '%(sent)s'."
)
ORGANIZATION_WAS_NOT_MIGRATED_THE_CONTACT = gettext_noop(
    "Organization %(id)s was not migrated; the contact has none."
)
CONTACT_FIELDS_ARE_NOT_MAPPED_WERE = gettext_noop(
    "Contact fields are not mapped; %(count)s were left out."
)
ITS_KNOWLEDGE_BASE_CATEGORY_WAS_NOT = gettext_noop(
    "Its knowledge base category %(id)s was not migrated, so the section has no place on the "
    "target."
)
ITS_PARENT_SECTION_WAS_NOT_MIGRATED = gettext_noop(
    "Its parent section %(id)s was not migrated; the section was placed directly in its category."
)
THE_TARGET_DOES_NOT_KEEP_TAGS = gettext_noop("The target does not keep tags; they were left out.")
THE_TICKET_S_REQUESTER_WAS_NOT = gettext_noop(
    "The ticket's requester (%(id)s) was not migrated and the source gave no e-mail address for "
    "them with the ticket, and the target needs a requester for every ticket."
)
AGENT_IS_DELETED_INACTIVE_OR_NOT_2 = gettext_noop(
    "Agent %(id)s is deleted, inactive or not matched on the target; the ticket was assigned to "
    "the default agent."
)
GROUP_IS_DELETED_OR_NOT_MATCHED_2 = gettext_noop(
    "Group %(id)s is deleted or not matched on the target; the ticket went to the default group."
)
STATUS_HAS_NO_MATCH_ON_THE = gettext_noop(
    "Status '%(status)s' has no match on the target; the target's default is used."
)
STATUS_DOES_NOT_EXIST_ON_THE = gettext_noop(
    "Status '%(status)s' does not exist on the target; sent as '%(sent)s'."
)
SIDE_CONVERSATION_S_LEFT_OUT_THE = gettext_noop(
    "%(count)s side conversation(s) left out (the option to migrate them as private notes is off)."
)
CALL_RECORDING_S_LEFT_OUT_THE = gettext_noop(
    "%(count)s call recording(s) left out (the option to migrate them as private notes is off)."
)
THE_TARGET_DOES_NOT_TAKE_ATTACHMENTS = gettext_noop(
    "The target does not take attachments here; they were left out."
)
INLINE_IMAGE_S_LEFT_OUT_THE = gettext_noop(
    "%(count)s inline image(s) left out: the target cannot show them in the text, and the option "
    "to migrate them as attachments is off."
)
ITS_KNOWLEDGE_BASE_SECTION_OR_FOLDER = gettext_noop(
    "Its knowledge base section or folder %(id)s was not migrated, so the article has no place on "
    "the target."
)
THE_ARTICLE_S_HTML_WAS_MALFORMED = gettext_noop(
    "The article's HTML was malformed (unclosed or stray tags); repaired."
)
TRANSLATION_S_LEFT_OUT = gettext_noop("%(count)s translation(s) left out.")
REQUESTER_WAS_NOT_MIGRATED_THE_TICKET = gettext_noop(
    "Requester %(id)s was not migrated; the ticket names them by their e-mail address %(email)s."
)
COMMENT_HAD_MALFORMED_HTML_UNCLOSED_OR = gettext_noop(
    "Comment %(id)s had malformed HTML (unclosed or stray tags); it was repaired."
)
AUTHOR_IS_NOT_MATCHED_ON_THE = gettext_noop(
    "Author %(id)s is not matched on the target; the default agent is the author."
)
AUTHOR_IS_NOT_MATCHED_ON_THE_2 = gettext_noop(
    "Author %(id)s is not matched on the target; no author set."
)
ORGANIZATION_FIELDS_ARE_NOT_MAPPED_WERE = gettext_noop(
    "Organization fields are not mapped; %(count)s were left out."
)
FIELD_COULD_NOT_GO_INTO_IT = gettext_noop(
    "Field '%(field)s' could not go into '%(target_field)s' (%(problem)s); it was written in the "
    "private note."
)
