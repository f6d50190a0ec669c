"""Platform-neutral chat commands. Every command, alias and button is registered here, in one
place, and nowhere else; and so is every notice (what the bot sends on its own)."""

from __future__ import annotations

from bot import groups as group_posts
from bot import reminders as session_reminders
from bot.broadcasts import (
    BroadcastMessage,
    BroadcastPreview,
    BroadcastProgress,
    BroadcastReport,
    load_message,
    load_preview,
)
from bot.context import EVENT, PARTICIPANT
from bot.delivery.digest import Digest, DigestLoader
from bot.floor.feedback import FeedbackAsked
from bot.floor.polls import PollClosed, PollOpened
from bot.floor.questions import QuestionRejected
from bot.floor.speakers import FloorGiven, FloorNext
from bot.mail import relay
from bot.notice import Notices
from bot.people.invitations import InvitationReuse
from bot.people.retention import RetentionNotice
from bot.platforms import DISPLAY_NAMES
from bot.programme.load import ProgrammeChange
from bot.programme.pack import PackUpdated
from bot.router import Router
from bot.survey.store import SurveyInvitation, SurveyReminder
from bot.tables.seating import TablePromoted
from bot.text.i18n import lazy_gettext as _l
from handlers import (
    account,
    agenda,
    answers,
    broadcast,
    calendar,
    checkin,
    fallback,
    floor_feedback,
    floor_polls,
    floor_questions,
    floor_speakers,
    groups,
    home,
    lite,
    mail,
    notices,
    notify,
    organisers,
    pack,
    privacy,
    reminders,
    results,
    survey,
    table_admin,
    tables,
    translation,
)


def build_router() -> Router:
    router = Router()
    router.command("start", account.start, help=_l("welcome and the main commands"))
    router.command("help", account.show_help, help=_l("this list"), fr="aide", es="ayuda")
    router.command(
        "language",
        account.choose_language,
        help=_l("choose English, French or Spanish"),
        usage="[en|fr|es]",
        aliases=("lang",),
        fr="langue",
        es="idioma",
    )
    router.command(
        "agenda",
        agenda.show_agenda,
        help=_l("the programme of a day"),
        usage=_l("[today|tomorrow|YYYY-MM-DD|day N]"),
        fr="programme",
        es="programa",
        needs=EVENT,
    )
    router.command(
        "next",
        agenda.show_next,
        help=_l("what is on now and next for you"),
        personal=True,
        fr="suivant",
        es="siguiente",
        needs=EVENT,
    )
    router.command(
        "session",
        agenda.show_session,
        help=_l("time, place, audience and interpretation of a session"),
        usage="N",
        fr="seance",
        es="sesion",
        needs=EVENT,
    )
    router.command(
        "remind",
        reminders.remind,
        help=_l("when I remind you of your sessions"),
        usage=_l("10|15|30|60|off"),
        personal=True,
        fr="rappel",
        es="recordatorio",
        needs=PARTICIPANT,
    )
    router.command(
        "home",
        home.home,
        help=_l("your next sessions, tables and groups; organisers: the meeting's figures"),
        personal=True,
        fr="accueil",
        es="inicio",
        needs=EVENT,
    )
    router.command(
        "pack",
        pack.pack,
        help=_l("your programme, seats, venues and check-in code as a PDF to print"),
        personal=True,
        fr="dossier",
        es="carpeta",
        needs=PARTICIPANT,
    )
    router.command(
        "calendar",
        calendar.show_calendar,
        help=_l("your programme in your phone's calendar, kept up to date"),
        usage=_l("[reset]"),
        personal=True,
        fr="calendrier",
        es="calendario",
        needs=PARTICIPANT,
    )
    router.command(
        "notify",
        notify.notify,
        help=_l("where my reminders and other messages reach you"),
        usage="|".join([*DISPLAY_NAMES, "auto"]),  # every platform of the table
        personal=True,
        fr="notifier",
        es="notificar",
        needs=PARTICIPANT,
    )
    router.command(
        "translate",
        translation.translate,
        help=_l("what others write, translated into your language"),
        usage=_l("[on|off]"),
        fr="traduction",
        es="traduccion",
        needs=PARTICIPANT,
    )
    router.command(
        "lite",
        lite.lite,
        help=_l("data saver: no pictures, and one digest a day at your hour"),
        usage=_l("[on|off] [HOUR]"),
        fr="econome",
        es="ahorro",
        needs=PARTICIPANT,
    )
    router.command(
        "link",
        account.link,
        help=_l("link another chat app to your registration"),
        usage=_l("[CODE]"),
        fr="lier",
        es="vincular",
    )
    router.command(
        "mydata",
        privacy.my_data,
        help=_l("everything I keep about you"),
        personal=True,
        fr="mesdonnees",
        es="misdatos",
    )
    router.command(
        "forget",
        privacy.forget,
        help=_l("erase your personal data"),
        personal=True,
        fr="oublier",
        es="olvidar",
    )
    router.command(
        "participant",
        organisers.participant,
        help=_l("organisers: find a participant, change a role, unlink an account"),
        usage=_l("find NAME | ID [role ROLE | unlink | invite]"),
        organisers_only=True,
        es="participante",
    )
    router.command(
        "snapshot",
        organisers.show_snapshot,
        help=_l("organisers: the participation snapshot"),
        organisers_only=True,
        fr="etat",
        es="resumen",
        needs=EVENT,
    )
    router.command(
        "checkin",
        checkin.checkin,
        help=_l("organisers and volunteers: check someone in at the door"),
        usage=_l("[NAME | undo NAME]"),
        personal=True,
        fr="arrivee",
        es="llegada",
        needs=EVENT,
    )
    router.command(
        "volunteer",
        checkin.volunteer,
        help=_l("organisers: who checks people in besides you"),
        usage=_l("[NAME | remove NAME]"),
        organisers_only=True,
        fr="benevole",
        es="voluntario",
        needs=EVENT,
    )
    router.command(
        "tables",
        tables.show_tables,
        help=_l("the Act tables of a round, with the seats left for you"),
        usage=_l("[ROUND]"),
        es="mesas",
        needs=EVENT,
    )
    router.command(
        "join",
        tables.join_table,
        help=_l("take a seat at an Act table"),
        usage=_l("ACT [ROUND]"),
        personal=True,
        fr="rejoindre",
        es="unirse",
        needs=PARTICIPANT,
    )
    router.command(
        "leave",
        tables.leave_table,
        help=_l("leave your table or waiting list"),
        usage=_l("[ROUND]"),
        personal=True,
        fr="quitter",
        es="salir",
    )
    router.command(
        "mytables",
        tables.my_tables,
        help=_l("your tables and waiting lists"),
        personal=True,
        fr="mestables",
        es="mismesas",
    )
    router.command(
        "table",
        table_admin.table_command,
        help=_l("organisers and facilitators: a table's roster; organisers: manage it"),
        usage=_l("ACT [ROUND] [roster|close|reopen|assign|remove|facilitator|rapporteur …]"),
        personal=True,
        es="mesa",
        needs=EVENT,
    )
    router.command(
        "groups",
        groups.list_groups,
        help=_l("the reference groups, yours marked"),
        fr="groupes",
        es="grupos",
        needs=EVENT,
    )
    router.command(
        "subscribe",
        groups.subscribe,
        help=_l("join a reference group"),
        usage=_l("GROUP"),
        personal=True,
        fr="sabonner",
        es="suscribir",
        needs=EVENT,
    )
    router.command(
        "unsubscribe",
        groups.unsubscribe,
        help=_l("leave a reference group"),
        usage=_l("GROUP"),
        personal=True,
        fr="desabonner",
        es="desuscribir",
        needs=EVENT,
    )
    router.command(
        "post",
        groups.post,
        help=_l("write to the other members of a reference group"),
        usage=_l("GROUP TEXT"),
        personal=True,
        fr="publier",
        es="publicar",
        needs=PARTICIPANT,
    )
    router.command(
        "propose",
        groups.propose,
        help=_l("suggest a new reference group"),
        usage=_l("TITLE"),
        personal=True,
        fr="proposer",
        es="proponer",
        needs=PARTICIPANT,
    )
    router.command(
        "requests",
        groups.requests,
        help=_l("organisers: requests to join groups after their deadline"),
        organisers_only=True,
        fr="demandes",
        es="solicitudes",
        needs=EVENT,
    )
    router.command(
        "proposals",
        groups.proposals,
        help=_l("organisers: proposed reference groups"),
        organisers_only=True,
        fr="propositions",
        es="propuestas",
        needs=EVENT,
    )
    router.command(
        "group",
        groups.group_settings,
        help=_l("organisers: make a group announcement-only, or open it again"),
        usage=_l("GROUP announce on|off"),
        organisers_only=True,
        fr="groupe",
        es="grupo",
        needs=EVENT,
    )
    router.command(
        "broadcast",
        broadcast.broadcast,
        help=_l("organisers: write to everyone or to a part of the meeting"),
        usage=_l("AUDIENCE [at TIME] + EN:/FR:/ES: lines | status [ID] | cancel ID"),
        organisers_only=True,
        fr="communication",
        es="difusion",
        needs=PARTICIPANT,
    )
    router.command(
        "survey",
        survey.survey,
        help=_l("answer the meeting's evaluation survey"),
        usage=_l("[open|close KEY | status]"),
        personal=True,
        organiser_subcommand=survey.organising,
        fr="enquete",
        es="encuesta",
        needs=PARTICIPANT,
    )
    router.command(
        "results",
        results.show_results,
        help=_l("organisers: the survey's results, with charts"),
        usage=_l("[KEY]"),
        organisers_only=True,
        fr="resultats",
        es="resultados",
    )
    router.command(
        "mailinglist",
        mail.mailing_list,
        help=_l("whether I relay the mailing list's messages to you"),
        usage=_l("[on|off]"),
        personal=True,
        fr="listediffusion",
        es="listacorreo",
        needs=PARTICIPANT,
    )
    router.command(
        "lists",
        mail.recent_messages,
        help=_l("the mailing list's latest messages"),
        usage=_l("[NUMBER]"),
        personal=True,
        fr="listes",
        es="listas",
        needs=PARTICIPANT,
    )
    router.command(
        "poll",
        floor_polls.poll,
        help=_l("organisers and moderators: a live poll in a session"),
        usage=_l("[multi] [2m] [SESSION] + EN:/FR:/ES: lines | close | results"),
        personal=True,
        fr="sondage",
        es="sondeo",
        needs=PARTICIPANT,
    )
    router.command(
        "floor",
        floor_speakers.floor,
        help=_l("ask for the floor in the session going on; moderators: the speakers' list"),
        usage=_l("[cancel] · moderators: [next | rule RULE]"),
        personal=True,
        fr="parole",
        es="palabra",
        needs=PARTICIPANT,
    )
    router.command(
        "comment",
        floor_feedback.comment,
        help=_l("add a comment to the session you have just rated"),
        usage=_l("TEXT"),
        personal=True,
        fr="commentaire",
        es="comentario",
        needs=PARTICIPANT,
    )
    router.command(
        "ask",
        floor_questions.ask,
        help=_l("a question from the floor to the session's moderators, anonymous to the room"),
        usage=_l("TEXT"),
        personal=True,
        fr="poser",
        es="preguntar",
        needs=PARTICIPANT,
    )
    router.command(
        "questions",
        floor_questions.show_questions,
        help=_l("the questions from the floor of the session going on, to vote for"),
        personal=True,
        es="preguntas",
        needs=PARTICIPANT,
    )
    router.command(
        "reject",
        floor_questions.reject,
        help=_l("moderators: do not take a question from the floor, and say why"),
        usage=_l("N REASON"),
        personal=True,
        fr="refuser",
        es="rechazar",
        needs=PARTICIPANT,
    )
    router.command(
        "moderators",
        floor_questions.moderators,
        help=_l("organisers: who moderates a session's floor"),
        usage=_l("SESSION [add|remove NAME]"),
        organisers_only=True,
        fr="moderation",
        es="moderacion",
        needs=EVENT,
    )
    router.pattern(r"s([0-9]{1,9})", agenda.show_session, needs=EVENT)
    router.button(account.LanguageButton, account.language_button)
    router.button(agenda.AgendaButton, agenda.agenda_button, needs=EVENT)
    router.button(privacy.ForgetButton, privacy.forget_button)
    router.button(tables.TablesButton, tables.tables_button, needs=EVENT)
    # Volunteers are not organisers: the handlers check the role on every press.
    router.button(checkin.CheckInButton, checkin.checkin_button, needs=EVENT)
    router.button(checkin.UndoCheckInButton, checkin.undo_button, needs=EVENT)
    router.button(tables.JoinButton, tables.join_button, needs=PARTICIPANT)
    router.button(tables.MoveButton, tables.move_button, needs=PARTICIPANT)
    router.button(tables.StayButton, tables.stay_button)
    router.button(tables.LeaveButton, tables.leave_button, needs=PARTICIPANT)
    router.button(groups.SubscribeButton, groups.subscribe_button, needs=EVENT)
    router.button(groups.UnsubscribeButton, groups.unsubscribe_button, needs=EVENT)
    router.button(groups.RequestButton, groups.request_button, organisers_only=True)
    router.button(groups.ProposalButton, groups.proposal_button, organisers_only=True)
    router.button(reminders.RemindButton, reminders.remind_button, needs=PARTICIPANT)
    router.button(notify.NotifyButton, notify.notify_button, needs=PARTICIPANT)
    router.button(translation.TranslateButton, translation.translate_button, needs=PARTICIPANT)
    router.button(translation.OriginalButton, translation.original_button, needs=PARTICIPANT)
    router.button(lite.LiteButton, lite.lite_button, needs=PARTICIPANT)
    router.button(lite.FilesButton, lite.files_button, needs=PARTICIPANT)
    router.button(broadcast.BroadcastButton, broadcast.broadcast_button, organisers_only=True)
    router.button(survey.SurveyButton, survey.survey_button, needs=PARTICIPANT)
    router.button(mail.MailSetButton, mail.mail_set_button, needs=PARTICIPANT)
    router.button(mail.MailReadButton, mail.mail_read_button, needs=PARTICIPANT)
    router.button(mail.MailOriginalButton, mail.mail_original_button, needs=PARTICIPANT)
    router.button(mail.MailCancelButton, mail.mail_cancel_button, needs=PARTICIPANT)
    router.button(
        mail.MailAgainButton, mail.mail_again_button, needs=PARTICIPANT, organisers_only=True
    )
    router.button(
        mail.MailAgainYesButton,
        mail.mail_again_yes_button,
        needs=PARTICIPANT,
        organisers_only=True,
    )
    router.button(floor_polls.PollAnswerButton, floor_polls.answer_button, needs=PARTICIPANT)
    router.button(floor_polls.PollDoneButton, floor_polls.done_button, needs=PARTICIPANT)
    # Moderators are not all organisers: the handler checks the role on every press.
    router.button(floor_polls.PollModeratorButton, floor_polls.moderator_button, needs=PARTICIPANT)
    router.button(floor_speakers.FloorAskButton, floor_speakers.ask_button, needs=PARTICIPANT)
    router.button(floor_speakers.FloorCancelButton, floor_speakers.cancel_button, needs=PARTICIPANT)
    # The moderators' buttons check the role in their handler (a moderator is no organiser).
    router.button(floor_speakers.FloorQueueButton, floor_speakers.queue_button, needs=PARTICIPANT)
    router.button(floor_speakers.FloorCallButton, floor_speakers.call_button, needs=PARTICIPANT)
    router.button(floor_speakers.FloorRuleButton, floor_speakers.rule_button, needs=PARTICIPANT)
    router.button(floor_feedback.FeedbackButton, floor_feedback.feedback_button, needs=PARTICIPANT)
    router.button(floor_feedback.CommentButton, floor_feedback.comment_button, needs=PARTICIPANT)
    router.button(floor_questions.RoomButton, floor_questions.room_button, needs=PARTICIPANT)
    router.button(floor_questions.VoteButton, floor_questions.vote_button, needs=PARTICIPANT)
    router.button(
        floor_questions.OriginalQuestionButton,
        floor_questions.original_question_button,
        needs=PARTICIPANT,
    )
    router.button(floor_questions.NamedButton, floor_questions.named_button, needs=PARTICIPANT)
    router.button(floor_questions.MoveButton, floor_questions.move_button, needs=PARTICIPANT)
    # Moderators' buttons: each checks the moderator role of the question's session again.
    router.button(
        floor_questions.ModerateButton, floor_questions.moderate_button, needs=PARTICIPANT
    )
    router.button(floor_questions.ApproveButton, floor_questions.approve_button, needs=PARTICIPANT)
    router.button(
        floor_questions.AnsweredButton, floor_questions.answered_button, needs=PARTICIPANT
    )
    router.button(floor_questions.MergeButton, floor_questions.merge_button, needs=PARTICIPANT)
    router.button(floor_questions.RejectButton, floor_questions.reject_button, needs=PARTICIPANT)
    router.button(floor_questions.VoiceButton, floor_questions.voice_button, needs=PARTICIPANT)
    router.form("broadcast", broadcast.broadcast_form, organisers_only=True)
    router.form(floor_feedback.FORM, floor_feedback.comment_form)
    router.on_text(fallback.plain_text)
    router.on_unknown(fallback.unknown_command)
    router.on_stale_button(fallback.stale_button)
    router.on_missing(event=answers.no_programme, participant=answers.registered_only)
    return router


def build_notices() -> Notices:
    """How each notice reads, for the delivery worker. A renderer lives in handlers/notices.py,
    unless it shares its text or buttons with a command's reply: then beside that command."""
    registry = Notices()
    registry.register(session_reminders.Reminder, notices.reminder)
    registry.register(BroadcastMessage, notices.broadcast, load=load_message)
    # Shares its lines and buttons with the preview answer.
    registry.register(BroadcastPreview, broadcast.preview, load=load_preview)
    registry.register(BroadcastReport, notices.broadcast_report)
    registry.register(BroadcastProgress, broadcast.progress)  # also /broadcast status
    registry.register(SurveyInvitation, survey.invitation)  # the survey's Answer button
    registry.register(SurveyReminder, survey.reminder)
    registry.register(
        relay.RelayedMail, mail.relayed, load=relay.RecentRelays().load
    )  # also /lists N
    registry.register(ProgrammeChange, notices.programme_change)
    registry.register(PackUpdated, pack.updated, load=pack.load_updated)  # made as it leaves
    registry.register(TablePromoted, notices.table_promoted)
    registry.register(InvitationReuse, notices.invitation_reuse)
    registry.register(group_posts.GroupPost, notices.group_post, load=group_posts.load_post)
    registry.register(group_posts.GroupRequestApproved, notices.group_request_approved)
    registry.register(PollOpened, floor_polls.opened)
    registry.register(PollClosed, floor_polls.result, load=floor_polls.ResultCharts().load)
    registry.register(FloorGiven, floor_speakers.floor_given)
    registry.register(FloorNext, floor_speakers.floor_next)
    registry.register(FeedbackAsked, floor_feedback.asked)
    registry.register(QuestionRejected, floor_questions.question_rejected)
    registry.register(RetentionNotice, notices.retention_notice)
    # Data saver: the digest renders the notices it holds with this very registry.
    registry.register(Digest, lite.digest, load=DigestLoader(registry).load)
    registry.files_as_links = lite.files_as_links
    return registry
