//! The capture server itself, checked with lettre (the client Gatehouse
//! sends with): what it captures reads back as what was sent, whatever
//! transfer encoding lettre chose, and it goes down and up on one port.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::smtp::*;

const TOKEN: &str = "ghl_abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

/// A text with what transfer encodings have to carry: a line over 76
/// characters, lines that start with dots, `=`, non-ASCII, the token.
fn awkward_text() -> String {
    format!(
        "Hello Zoë,\n.\n..two dots\n.one dot\nx=3D is not an escape here\n\
         {}\nhttp://front.test/verify?token={TOKEN}&next=%2Fhome\nGrüße\n",
        "long line ".repeat(20)
    )
}

fn message(subject: &str, encoding: Option<ContentTransferEncoding>) -> Message {
    let part = |content_type: ContentType, text: String| {
        let builder = SinglePart::builder().header(content_type);
        match encoding {
            Some(e) => builder.body(Body::new_with_encoding(text, e).expect("encodable")),
            None => builder.body(text),
        }
    };
    Message::builder()
        .from("Gatehouse <noreply@gatehouse.test>".parse().unwrap())
        .to("Zoë <zoe@example.com>".parse().unwrap())
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, awkward_text()))
                .singlepart(part(
                    ContentType::TEXT_HTML,
                    format!(
                        "<p><a href=\"http:&#x2f;&#x2f;front.test&#x2f;verify?token={TOKEN}\
                         &amp;next=%2Fhome\">go</a></p>"
                    ),
                )),
        )
        .expect("a message")
}

async fn send(smtp: &Smtp, message: Message) -> Result<(), lettre::transport::smtp::Error> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(5)))
        .build()
        .send(message)
        .await
        .map(drop)
}

/// Line ends as written, whatever the encoding made of them.
fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[tokio::test]
async fn what_lettre_sends_reads_back_whole_in_every_transfer_encoding() {
    let smtp = Smtp::start().await;
    let encodings = [
        None,
        Some(ContentTransferEncoding::QuotedPrintable),
        Some(ContentTransferEncoding::Base64),
    ];
    for (i, encoding) in encodings.iter().enumerate() {
        let subject = format!("Grüße number {i}, a subject long enough to be folded by lettre");
        send(&smtp, message(&subject, *encoding))
            .await
            .expect("sent");
        let mails = smtp.wait_for(i + 1).await;
        let mail = &mails[i];
        assert_eq!(mail.from, "noreply@gatehouse.test");
        assert_eq!(mail.to, ["zoe@example.com"]);
        assert_eq!(mail.recipient(), "zoe@example.com");
        assert_eq!(mail.subject(), subject, "{encoding:?}:\n{}", mail.data);
        assert_eq!(
            lf(&mail.text()),
            awkward_text(),
            "{encoding:?}:\n{}",
            mail.data
        );
        assert!(mail.html().contains("<a href="), "{}", mail.html());
        assert_eq!(mail.token(), TOKEN);
        assert_eq!(
            mail.link(),
            format!("http://front.test/verify?token={TOKEN}&next=%2Fhome")
        );
    }
    // The encodings the message asked for were used.
    let data: Vec<String> = smtp.mails().into_iter().map(|m| m.data).collect();
    assert!(data[1].contains("quoted-printable"), "{}", data[1]);
    assert!(data[2].contains("base64"), "{}", data[2]);
}

#[tokio::test]
async fn a_slow_server_takes_its_time_to_accept_and_a_refusing_one_refuses() {
    let smtp = Smtp::start().await;
    smtp.slow(Duration::from_millis(300));
    let started = std::time::Instant::now();
    send(&smtp, message("slow", None)).await.expect("sent");
    assert!(started.elapsed() >= Duration::from_millis(300));
    smtp.slow(Duration::ZERO);
    smtp.refuse(Some("550 5.1.1 no such mailbox"));
    let refused = send(&smtp, message("refused", None)).await;
    assert!(refused.is_err_and(|e| e.is_permanent()));
    smtp.refuse(Some("451 4.3.0 later"));
    let refused = send(&smtp, message("refused", None)).await;
    assert!(refused.is_err_and(|e| e.is_transient()));
    smtp.refuse(None);
    send(&smtp, message("accepted", None)).await.expect("sent");
    let subjects: Vec<String> = smtp.mails().iter().map(|m| m.subject()).collect();
    assert_eq!(subjects, ["slow", "accepted"]);
}

#[tokio::test]
async fn the_decoders_undo_soft_breaks_escapes_and_encoded_words() {
    assert_eq!(quoted_printable("a=3Db=\r\nc=C3=A9=\nd"), "a=bcéd");
    assert_eq!(base64_text("aGVs\r\nbG8="), "hello");
    assert_eq!(
        decode_words("=?utf-8?b?R3LDvMOfZQ==?= =?utf-8?q?_und_mehr?= !"),
        "Grüße und mehr !"
    );
    assert_eq!(decode_words("plain =? text"), "plain =? text");
    assert_eq!(
        unescape_html("a&#x2f;b &amp;amp; &#47; &lt;&gt;&quot;&#x27; & &bogus; &#xZZ;"),
        "a/b &amp; / <>\"' & &bogus; &#xZZ;"
    );
    let t = format!("a {TOKEN}. {TOKEN} x{TOKEN} ghl_short");
    assert_eq!(tokens(&t), [TOKEN.to_owned()]);
}

#[tokio::test]
async fn a_stopped_server_refuses_and_drops_connections_and_restarts_on_its_port() {
    let mut smtp = Smtp::start().await;
    let port = smtp.port;
    send(&smtp, message("one", None)).await.expect("sent");

    // A client in the middle of a conversation is cut off.
    let mut open = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut greeting = [0u8; 64];
    let n = open.read(&mut greeting).await.unwrap();
    assert!(greeting[..n].starts_with(b"220 "));
    smtp.stop().await;
    let mut rest = Vec::new();
    let cut = tokio::time::timeout(Duration::from_secs(5), open.read_to_end(&mut rest)).await;
    assert!(
        matches!(cut, Ok(Ok(0)) | Ok(Err(_))),
        "the connection ends: {cut:?}"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    let refused = send(&smtp, message("lost", None)).await;
    assert!(refused.is_err_and(|e| !e.is_permanent()));

    smtp.restart().await;
    assert_eq!(smtp.port, port);
    send(&smtp, message("two", None)).await.expect("sent");
    let subjects: Vec<String> = smtp.wait_for(2).await.iter().map(|m| m.subject()).collect();
    assert_eq!(subjects, ["one", "two"]);
}

/// Writes `line` (if any) and reads one reply line.
async fn say(client: &mut BufReader<TcpStream>, line: &str) -> String {
    if !line.is_empty() {
        client.get_mut().write_all(line.as_bytes()).await.unwrap();
    }
    let mut reply = String::new();
    client.read_line(&mut reply).await.unwrap();
    reply
}

#[tokio::test]
async fn the_conversation_follows_rfc_5321() {
    let smtp = Smtp::start().await;
    let stream = TcpStream::connect(("127.0.0.1", smtp.port)).await.unwrap();
    let mut c = BufReader::new(stream);
    assert!(say(&mut c, "").await.starts_with("220 "));
    assert!(say(&mut c, "EHLO me\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "RCPT TO:<a@b>\r\n").await.starts_with("503 "));
    assert!(say(&mut c, "DATA\r\n").await.starts_with("503 "));
    assert!(say(&mut c, "MAIL FROM:<s@t> BODY=8BITMIME\r\n")
        .await
        .starts_with("250 "));
    assert!(say(&mut c, "RSET\r\n").await.starts_with("250 "));
    assert!(
        say(&mut c, "RCPT TO:<a@b>\r\n").await.starts_with("503 "),
        "RSET forgets"
    );
    assert!(say(&mut c, "NOOP\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "VRFY x\r\n").await.starts_with("502 "));
    assert!(say(&mut c, "HELO me\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "mail from:<s@t>\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "RCPT TO:<a@b>\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "RCPT TO:<c@d>\r\n").await.starts_with("250 "));
    assert!(say(&mut c, "DATA\r\n").await.starts_with("354 "));
    let data = "Subject: hi\r\n\r\n..x\r\n.\r\n";
    assert!(say(&mut c, data).await.starts_with("250 "));
    assert!(say(&mut c, "QUIT\r\n").await.starts_with("221 "));
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].from, "s@t");
    assert_eq!(mails[0].to, ["a@b", "c@d"]);
    assert_eq!(mails[0].data, "Subject: hi\r\n\r\n.x\r\n");
}
