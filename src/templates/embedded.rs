//! The default templates, compiled into the binary so tidings runs with no
//! files beside it. The list is also the set of names an operator may override;
//! `.de` and `.fr` files are the German and French emails.
macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

pub(super) const TEMPLATES: &[(&str, &str)] = embed!(
    "email/layout.html",
    "email/confirm/subject.txt",
    "email/confirm/body.txt",
    "email/confirm/body.html",
    "email/unsubscribed/subject.txt",
    "email/unsubscribed/body.txt",
    "email/unsubscribed/body.html",
    "email/notification/subject.txt",
    "email/notification/body.txt",
    "email/notification/body.html",
    "email/layout.de.html",
    "email/confirm/subject.de.txt",
    "email/confirm/body.de.txt",
    "email/confirm/body.de.html",
    "email/unsubscribed/subject.de.txt",
    "email/unsubscribed/body.de.txt",
    "email/unsubscribed/body.de.html",
    "email/notification/subject.de.txt",
    "email/notification/body.de.txt",
    "email/notification/body.de.html",
    "email/layout.fr.html",
    "email/confirm/subject.fr.txt",
    "email/confirm/body.fr.txt",
    "email/confirm/body.fr.html",
    "email/unsubscribed/subject.fr.txt",
    "email/unsubscribed/body.fr.txt",
    "email/unsubscribed/body.fr.html",
    "email/notification/subject.fr.txt",
    "email/notification/body.fr.txt",
    "email/notification/body.fr.html",
    "email/alert/subject.txt",
    "email/alert/body.txt",
    "email/alert/body.html",
    "page/layout.html",
    "page/confirm.html",
    "page/confirmed.html",
    "page/unsubscribe.html",
    "page/unsubscribed.html",
    "page/error.html",
    "console/console.css",
    "console/layout.html",
    "console/sign_in.html",
    "console/error.html",
    "console/home.html",
    "console/queues.html",
    "console/queue.html",
    "console/subscription.html",
);
