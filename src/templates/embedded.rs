//! The default templates, compiled into the binary so tidings runs with no
//! files beside it. The list is also the set of names an operator may override.
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
