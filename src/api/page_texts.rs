//! The words of the public pages (confirm and unsubscribe links) in the
//! built-in languages, English, German and French, and the language a
//! browser asks for (`Accept-Language`, q-values honoured, `fr-CA`
//! falling back to `fr`, anything else to English).
use actix_web::http::header::{AcceptLanguage, Header};
use actix_web::HttpRequest;

use crate::domain::locale::{self, Locale};

/// Every sentence a public page may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    LinkUnusable,
    LinkUnknown,
    LinkExpired,
    LinkUsed,
    LinkIncomplete,
    OurFailure,
    ConfirmedTitle,
    ConfirmedNow,
    AlreadyConfirmed,
    ConfirmTitle,
    UnsubscribedTitle,
    UnsubscribedNow,
    AlreadyUnsubscribed,
    UnsubscribeTitle,
    ConfirmButton,
    UnsubscribeButton,
    /// With `{address}` and `{queue}` to fill in.
    ConfirmSentence,
    /// With `{address}` and `{queue}` to fill in.
    UnsubscribeSentence,
}

/// The language of the page: the first built-in one the browser accepts.
pub fn language(req: &HttpRequest) -> &'static str {
    let Ok(header) = AcceptLanguage::parse(req) else {
        return "en";
    };
    let preferred: Vec<Locale> = header
        .ranked()
        .iter()
        .filter_map(|p| p.item())
        .filter_map(|tag| Locale::parse(tag.as_str()).ok())
        .collect();
    locale::language_of(&locale::chain(&preferred))
}

pub fn t(lang: &str, text: Text) -> &'static str {
    use Text::*;
    match lang {
        "de" => match text {
            LinkUnusable => "Dieser Link kann nicht verwendet werden",
            LinkUnknown => "Dieser Link ist ungültig, oder sein Abonnement besteht nicht mehr.",
            LinkExpired => "Dieser Bestätigungslink ist abgelaufen. Abonnieren Sie erneut, um einen neuen zu erhalten.",
            LinkUsed => "Dieser Bestätigungslink wurde bereits verwendet.",
            LinkIncomplete => "Dieser Link ist unvollständig.",
            OurFailure => "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es in einigen Minuten erneut.",
            ConfirmedTitle => "Abonnement bestätigt",
            ConfirmedNow => "Ihr Abonnement ist bestätigt. Sie erhalten nun die Nachrichten dieser Queue.",
            AlreadyConfirmed => "Dieses Abonnement ist bereits bestätigt.",
            ConfirmTitle => "Bestätigen Sie Ihr Abonnement",
            UnsubscribedTitle => "Abgemeldet",
            UnsubscribedNow => "Sie sind abgemeldet und erhalten keine Nachrichten dieser Queue mehr.",
            AlreadyUnsubscribed => "Diese Adresse war bereits von dieser Queue abgemeldet.",
            UnsubscribeTitle => "Abmelden",
            ConfirmButton => "Abonnement bestätigen",
            UnsubscribeButton => "Abmelden",
            ConfirmSentence => "Bestätigen Sie, dass {address} die Nachrichten der Queue {queue} erhalten soll.",
            UnsubscribeSentence => "Keine Nachrichten der Queue {queue} mehr an {address} senden?",
        },
        "fr" => match text {
            LinkUnusable => "Ce lien ne peut pas être utilisé",
            LinkUnknown => "Ce lien n’est pas valide, ou son abonnement n’existe plus.",
            LinkExpired => "Ce lien de confirmation a expiré. Abonnez-vous de nouveau pour en recevoir un autre.",
            LinkUsed => "Ce lien de confirmation a déjà été utilisé.",
            LinkIncomplete => "Ce lien est incomplet.",
            OurFailure => "Un problème est survenu de notre côté. Veuillez réessayer dans quelques minutes.",
            ConfirmedTitle => "Abonnement confirmé",
            ConfirmedNow => "Votre abonnement est confirmé. Vous recevrez les messages de cette file.",
            AlreadyConfirmed => "Cet abonnement est déjà confirmé.",
            ConfirmTitle => "Confirmez votre abonnement",
            UnsubscribedTitle => "Désabonné",
            UnsubscribedNow => "Vous êtes désabonné et ne recevrez plus de messages de cette file.",
            AlreadyUnsubscribed => "Cette adresse était déjà désabonnée de cette file.",
            UnsubscribeTitle => "Se désabonner",
            ConfirmButton => "Confirmer l’abonnement",
            UnsubscribeButton => "Se désabonner",
            ConfirmSentence => "Confirmez que {address} doit recevoir les messages de la file {queue}.",
            UnsubscribeSentence => "Ne plus envoyer les messages de la file {queue} à {address} ?",
        },
        _ => match text {
            LinkUnusable => "This link cannot be used",
            LinkUnknown => "This link is not valid, or its subscription no longer exists.",
            LinkExpired => "This confirmation link has expired. Subscribe again to get a new one.",
            LinkUsed => "This confirmation link has already been used.",
            LinkIncomplete => "This link is incomplete.",
            OurFailure => "Something went wrong on our side. Please try again in a few minutes.",
            ConfirmedTitle => "Subscription confirmed",
            ConfirmedNow => "Your subscription is confirmed. You will receive this queue's messages.",
            AlreadyConfirmed => "This subscription is already confirmed.",
            ConfirmTitle => "Confirm your subscription",
            UnsubscribedTitle => "Unsubscribed",
            UnsubscribedNow => "You are unsubscribed and will receive no more messages from this queue.",
            AlreadyUnsubscribed => "This address was already unsubscribed from this queue.",
            UnsubscribeTitle => "Unsubscribe",
            ConfirmButton => "Confirm subscription",
            UnsubscribeButton => "Unsubscribe",
            ConfirmSentence => "Confirm that {address} should receive the messages of queue {queue}.",
            UnsubscribeSentence => "Stop sending the messages of queue {queue} to {address}?",
        },
    }
}
