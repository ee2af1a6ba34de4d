//! Turn an outbox message into a MIME e-mail with lettre: text and HTML alternatives, the
//! chart as an inline PNG referenced by the HTML (`cid:chart`), and a Message-ID made from the
//! outbox id and the sender's domain.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::outbox::OutboxMessage;

/// Build the MIME message; fails on an unparsable address.
pub fn to_mime(msg: &OutboxMessage, from: &str) -> Result<Message, String> {
    let sender: Mailbox = from.parse().map_err(|e| format!("from address: {e}"))?;
    // One Message-ID per outbox message: a retried send carries the same id, so mail
    // systems and readers see one message, not a duplicate.
    let message_id = format!("<{}@{}>", msg.id, sender.email.domain());
    let mut builder = Message::builder().from(sender).message_id(Some(message_id));
    for to in &msg.recipients {
        builder = builder.to(to.parse().map_err(|e| format!("recipient address: {e}"))?);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(msg.body_text.clone()))
        .singlepart(SinglePart::html(msg.body_html.clone()));
    let body = match &msg.chart_png {
        Some(png) => {
            let png_type = ContentType::parse("image/png").map_err(|e| e.to_string())?;
            let chart = Attachment::new_inline("chart".into()).body(png.clone(), png_type);
            MultiPart::related()
                .multipart(alternative)
                .singlepart(chart)
        }
        None => alternative,
    };
    builder
        .subject(msg.subject.clone())
        .multipart(body)
        .map_err(|e| e.to_string())
}
