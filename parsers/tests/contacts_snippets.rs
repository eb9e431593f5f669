//! Realistic snippets of market and forum text, in Spanish and English,
//! each with the exact list of contacts expected: (kind, value, start, end,
//! text of the span). Hard negatives expect nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use centinela_parsers::contacts::{find_contacts, ContactKind};

/// (kind, value, start, end, raw text of the span)
type Want = (&'static str, &'static str, usize, usize, &'static str);

fn kind_name(k: &ContactKind) -> &'static str {
    match k {
        ContactKind::Email => "email",
        ContactKind::Phone => "phone",
        ContactKind::Contact(p) => p.as_str(),
    }
}

/// Checks every case and reports all mismatches at once.
fn check(cases: &[(&str, &[Want])]) {
    let mut failures = Vec::new();
    for (text, want) in cases {
        for w in *want {
            assert_eq!(
                text.get(w.2..w.3),
                Some(w.4),
                "bad table entry for {text:?}"
            );
        }
        let got: Vec<Want> = find_contacts(text)
            .iter()
            .map(|m| {
                (
                    kind_name(&m.kind),
                    leak(&m.value),
                    m.start,
                    m.end,
                    leak(&text[m.start..m.end]),
                )
            })
            .collect();
        if got != *want {
            failures.push(format!("{text:?}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} snippets differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Test-only: gives a value the table's lifetime so tuples compare directly.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Phones, emails and handles announced by context words.
#[test]
fn contacts() {
    check(&[
        ("Escríbeme al tele @pepe_peru para pedidos", &[("telegram", "@pepe_peru", 19, 29, "@pepe_peru")]),
        ("wasap 987 654 321", &[("phone", "+51987654321", 6, 17, "987 654 321"), ("whatsapp", "+51987654321", 6, 17, "987 654 321")]),
        ("mi wickr: narcolima", &[("wickr", "narcolima", 10, 19, "narcolima")]),
        ("contacto zangi 1234567890", &[("zangi", "1234567890", 15, 25, "1234567890")]),
        ("jabber: vendor@exploit.im", &[("xmpp", "vendor@exploit.im", 8, 25, "vendor@exploit.im")]),
        ("Envíos a todo Perú. Telegram: @narco_lima | Wickr: narcolima | Correo: ventas.lima@protonmail.com", &[("telegram", "@narco_lima", 32, 43, "@narco_lima"), ("wickr", "narcolima", 53, 62, "narcolima"), ("email", "ventas.lima@protonmail.com", 73, 99, "ventas.lima@protonmail.com")]),
        ("my wickr is: xyz_01", &[("wickr", "xyz_01", 13, 19, "xyz_01")]),
        ("wickr me at xyzvendor", &[("wickr", "xyzvendor", 12, 21, "xyzvendor")]),
        ("mi usuario de telegram es @pepito_99", &[("telegram", "@pepito_99", 26, 36, "@pepito_99")]),
        ("pepe [at] protonmail [dot] com", &[("email", "pepe@protonmail.com", 0, 30, "pepe [at] protonmail [dot] com")]),
        ("pepe(at)cock(dot)li", &[("email", "pepe@cock.li", 0, 19, "pepe(at)cock(dot)li")]),
        ("escribe a pepe arroba gmail punto com", &[("email", "pepe@gmail.com", 10, 37, "pepe arroba gmail punto com")]),
        ("mándame un correo: pepe @ gmail . com", &[("email", "pepe@gmail.com", 20, 38, "pepe @ gmail . com")]),
        ("Signal: +51 987 654 321", &[("phone", "+51987654321", 8, 23, "+51 987 654 321"), ("signal", "+51987654321", 8, 23, "+51 987 654 321")]),
        ("signal pepe.01", &[("signal", "pepe.01", 7, 14, "pepe.01")]),
        ("cel 987654321", &[("phone", "+51987654321", 4, 13, "987654321")]),
        ("Llámame al 0051 987 654 321", &[("phone", "+51987654321", 12, 28, "0051 987 654 321")]),
        ("Call +1 (202) 555-0123 for info", &[("phone", "+12025550123", 5, 22, "+1 (202) 555-0123")]),
        ("Armadillo: vendor_pe", &[("armadillo", "vendor_pe", 11, 20, "vendor_pe")]),
        ("Wire: @vendorpe", &[("wire", "@vendorpe", 6, 15, "@vendorpe")]),
        ("whatsapp +51 987 654 321 o 912-345-678", &[("phone", "+51987654321", 9, 24, "+51 987 654 321"), ("whatsapp", "+51987654321", 9, 24, "+51 987 654 321"), ("phone", "+51912345678", 27, 38, "912-345-678"), ("whatsapp", "+51912345678", 27, 38, "912-345-678")]),
        ("Tel. 987654321", &[("phone", "+51987654321", 5, 14, "987654321")]),
        ("Email: ventas@narcos.pe, Jabber: ventas@jabber.ru", &[("email", "ventas@narcos.pe", 7, 23, "ventas@narcos.pe"), ("xmpp", "ventas@jabber.ru", 33, 49, "ventas@jabber.ru")]),
        ("XMPP vendor@jabber.de (OTR)", &[("xmpp", "vendor@jabber.de", 5, 21, "vendor@jabber.de")]),
        ("Contacto: 987-654-321 / 912 345 678", &[("phone", "+51987654321", 10, 21, "987-654-321"), ("phone", "+51912345678", 24, 35, "912 345 678")]),
        ("My telegram is pepe_lima99", &[("telegram", "@pepe_lima99", 15, 26, "pepe_lima99")]),
        ("Telegram y Wickr: narcolima", &[("telegram", "@narcolima", 18, 27, "narcolima"), ("wickr", "narcolima", 18, 27, "narcolima")]),
        ("Hora de entrega 10:30, teléfono 987654321.", &[("phone", "+51987654321", 33, 42, "987654321")]),
        ("mail: pepe@gmail.com", &[("email", "pepe@gmail.com", 6, 20, "pepe@gmail.com")]),
        ("Escríbeme a pepe.lima@proton.me.", &[("email", "pepe.lima@proton.me", 13, 32, "pepe.lima@proton.me")]),
        ("TELEGRAM: @Pepe_Peru", &[("telegram", "@pepe_peru", 10, 20, "@Pepe_Peru")]),
        ("wsp: +51987654321", &[("phone", "+51987654321", 5, 17, "+51987654321"), ("whatsapp", "+51987654321", 5, 17, "+51987654321")]),
        ("Escríbeme al WhatsApp 51 987 654 321", &[("phone", "+51987654321", 23, 37, "51 987 654 321"), ("whatsapp", "+51987654321", 23, 37, "51 987 654 321")]),
        ("Teléfono: 987 654 321", &[("phone", "+51987654321", 11, 22, "987 654 321")]),
        ("Pago con Yape al 987 654 321", &[("phone", "+51987654321", 17, 28, "987 654 321")]),
        ("Mi número: +51 1 234 5678", &[("phone", "+5112345678", 12, 26, "+51 1 234 5678")]),
        ("+51987654321", &[("phone", "+51987654321", 0, 12, "+51987654321")]),
        ("WickrMe: el_pepe", &[("wickr", "el_pepe", 9, 16, "el_pepe")]),
        ("Envío gratis desde S/ 500. Cel. 987 654 321, WhatsApp 24h.", &[("phone", "+51987654321", 33, 44, "987 654 321")]),
        ("Contacto: vendor@secmail.onion", &[("email", "vendor@secmail.onion", 10, 30, "vendor@secmail.onion")]),
        ("Tel/WhatsApp: +51 987-654-321", &[("phone", "+51987654321", 14, 29, "+51 987-654-321"), ("whatsapp", "+51987654321", 14, 29, "+51 987-654-321")]),
        ("Wickr: narcolima (respondo rápido)", &[("wickr", "narcolima", 7, 16, "narcolima")]),
        ("Signal number +44 7911 123456", &[("phone", "+447911123456", 14, 29, "+44 7911 123456"), ("signal", "+447911123456", 14, 29, "+44 7911 123456")]),
        ("pepe{at}tutanota{dot}com", &[("email", "pepe@tutanota.com", 0, 24, "pepe{at}tutanota{dot}com")]),
        ("ventas (arroba) correo.pe", &[("email", "ventas@correo.pe", 0, 25, "ventas (arroba) correo.pe")]),
        ("my wickr is: xyz", &[("wickr", "xyz", 13, 16, "xyz")]),
        ("escríbeme al tele pepe_peru", &[("telegram", "@pepe_peru", 19, 28, "pepe_peru")]),
        ("Signal: @pepe.01", &[("signal", "pepe.01", 8, 16, "@pepe.01")]),
        ("ADD OUR NEW WICKR SENORPEPE", &[("wickr", "senorpepe", 18, 27, "SENORPEPE")]),
        ("Jabber: pepedotlima at jabber.calyxinstitute.org", &[("xmpp", "pepedotlima@jabber.calyxinstitute.org", 8, 48, "pepedotlima at jabber.calyxinstitute.org")]),
        ("b.pepe@sigaint.org Jabber : pepe@hot-chilli.eu", &[("email", "b.pepe@sigaint.org", 0, 18, "b.pepe@sigaint.org"), ("xmpp", "pepe@hot-chilli.eu", 28, 46, "pepe@hot-chilli.eu")]),
        ("987654321 Signal: +44 7911 123456", &[("phone", "+447911123456", 18, 33, "+44 7911 123456"), ("signal", "+447911123456", 18, 33, "+44 7911 123456")]),
        ("Wickr: narcolima en Lima", &[("wickr", "narcolima", 7, 16, "narcolima")]),
        ("Yape 987654321 o plin", &[("phone", "+51987654321", 5, 14, "987654321")]),
    ]);
}

/// Platform links and URIs.
#[test]
fn links() {
    check(&[
        ("https://t.me/pepe_peru", &[("telegram", "@pepe_peru", 0, 22, "https://t.me/pepe_peru")]),
        ("Únete: t.me/joinchat/AbCdEfGh123 o https://t.me/+XyZ98765abc", &[("telegram", "t.me/+AbCdEfGh123", 8, 33, "t.me/joinchat/AbCdEfGh123"), ("telegram", "t.me/+XyZ98765abc", 36, 61, "https://t.me/+XyZ98765abc")]),
        ("WhatsApp directo: wa.me/51987654321", &[("whatsapp", "+51987654321", 18, 35, "wa.me/51987654321"), ("phone", "+51987654321", 24, 35, "51987654321")]),
        ("https://api.whatsapp.com/send?phone=51987654321&text=Hola", &[("whatsapp", "+51987654321", 0, 47, "https://api.whatsapp.com/send?phone=51987654321"), ("phone", "+51987654321", 36, 47, "51987654321")]),
        ("https://signal.me/#p/+51912345678", &[("signal", "+51912345678", 0, 33, "https://signal.me/#p/+51912345678"), ("phone", "+51912345678", 21, 33, "+51912345678")]),
        ("simplex:/contact#/?v=1-2&smp=smp%3A%2F%2Fabc123%40smp8.simplex.im%2Fxyz", &[("simplex", "simplex:/contact#/?v=1-2&smp=smp%3A%2F%2Fabc123%40smp8.simplex.im%2Fxyz", 0, 71, "simplex:/contact#/?v=1-2&smp=smp%3A%2F%2Fabc123%40smp8.simplex.im%2Fxyz")]),
        ("Add me: https://simplex.chat/contact#/?v=2&smp=smp%3A%2F%2Fu2dS9sG8nMNURyZwqASV4yROM28Er0luVTx5X1CsMrU%3D%40smp4.simplex.im", &[("simplex", "simplex:/contact#/?v=2&smp=smp%3A%2F%2Fu2dS9sG8nMNURyZwqASV4yROM28Er0luVTx5X1CsMrU%3D%40smp4.simplex.im", 8, 123, "https://simplex.chat/contact#/?v=2&smp=smp%3A%2F%2Fu2dS9sG8nMNURyZwqASV4yROM28Er0luVTx5X1CsMrU%3D%40smp4.simplex.im")]),
        ("Briar: briar://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst", &[("briar", "briar://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst", 7, 67, "briar://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst")]),
        ("jami:3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345", &[("jami", "3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345", 0, 45, "jami:3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345")]),
        ("threema.id/ECHOECHO", &[("threema", "ECHOECHO", 0, 19, "threema.id/ECHOECHO")]),
        ("tg://resolve?domain=pepe_peru", &[("telegram", "@pepe_peru", 0, 29, "tg://resolve?domain=pepe_peru")]),
        ("Telegram channel: https://t.me/s/peru_plug/123", &[("telegram", "@peru_plug", 18, 42, "https://t.me/s/peru_plug")]),
        ("https://wa.me/message/ABCDEF123456", &[("whatsapp", "wa.me/message/ABCDEF123456", 0, 34, "https://wa.me/message/ABCDEF123456")]),
        ("Grupo: https://chat.whatsapp.com/AbCdEfGhIjKlMnOp", &[("whatsapp", "chat.whatsapp.com/AbCdEfGhIjKlMnOp", 7, 49, "https://chat.whatsapp.com/AbCdEfGhIjKlMnOp")]),
        ("Nuevo canal: telegram.me/peru_plug y respaldo telegram.dog/peru_plug2", &[("telegram", "@peru_plug", 13, 34, "telegram.me/peru_plug"), ("telegram", "@peru_plug2", 46, 69, "telegram.dog/peru_plug2")]),
        ("Telegram: t.me/pepe_peru", &[("telegram", "@pepe_peru", 10, 24, "t.me/pepe_peru")]),
    ]);
}

/// Platform IDs: Session, Tox, Jami, Threema, Briar, Matrix.
#[test]
fn ids() {
    check(&[
        ("Session ID: 053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e", &[("session", "053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e", 12, 78, "053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e")]),
        ("agrégame en threema ABCD1234", &[("threema", "ABCD1234", 21, 29, "ABCD1234")]),
        ("Matrix: @pepe:matrix.org", &[("matrix", "@pepe:matrix.org", 8, 24, "@pepe:matrix.org")]),
        ("Element: @vendor:envs.net", &[("element", "@vendor:envs.net", 9, 25, "@vendor:envs.net")]),
        ("Tox: 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132330202", &[("tox", "101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132330202", 5, 81, "101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132330202")]),
        ("Jami: 3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345", &[("jami", "3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345", 6, 46, "3a9f1c2b7d4e5f60718293a4b5c6d7e8f9012345")]),
        ("Threema: ECHOECHO", &[("threema", "ECHOECHO", 9, 17, "ECHOECHO")]),
        ("TG @pepe_peru / Wickr: pepe.peru / Session 053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e", &[("telegram", "@pepe_peru", 3, 13, "@pepe_peru"), ("wickr", "pepe.peru", 23, 32, "pepe.peru"), ("session", "053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e", 43, 109, "053f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e3f9a1c7e")]),
    ]);
}

/// Prices, dates, order numbers, hashes, fingerprints, addresses, URLs, mentions and ambiguous words: nothing to report.
#[test]
fn hard_negatives() {
    check(&[
        ("Precio S/ 1.250,00 por 10 gramos, envío a todo Lima.", &[]),
        ("Pedido #912345678 enviado el 12/03/2024", &[]),
        ("SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", &[]),
        ("PGP fingerprint: 3A4F 9B21 0C5D 2E78 1F6A 8B3C 4D5E 6F70 8192 A3B4", &[]),
        ("commit 8f14e45fceea167a5a36dedd4bea2543abcd1234 en el repo", &[]),
        ("Ver https://foro.onion/perfil?email=pepe@gmail.com para más", &[]),
        ("@pepe_peru gracias por el envío, llegó rápido", &[]),
        ("BTC: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", &[]),
        ("Telegram: disponible 24/7", &[]),
        ("Contact on Telegram: Narcotics available now", &[]),
        ("Pedido 912345678 listo para envío", &[]),
        ("ToxID: 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132330200", &[]),
        ("Precio: $1,250 USD o S/ 4 500", &[]),
        ("Total 0.00912345 BTC", &[]),
        ("DNI 45678912", &[]),
        ("RUC 20512345678", &[]),
        ("Quote from @vendor_lima on telegram:", &[]),
        ("Sígueme en twitter @pepe_peru", &[]),
        ("Price 987 654 321 soles", &[]),
        ("Onion: http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion/login", &[]),
        ("IP 192.168.1.100 puerto 8080", &[]),
        ("Lote 2024-987654321", &[]),
        ("ftp://user:pass@host.com/files", &[]),
        ("ETH 0x52908400098527886E0F7030069857D2E4169EE7", &[]),
        ("XMR 4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge", &[]),
        ("Hit me up on Signal or Wickr, username below:\nsnowman_lima", &[]),
        ("WhatsApp para precios: S/ 950.00", &[]),
        ("wsp 24/7", &[]),
        ("987654321", &[]),
        ("Rastreo 9876543210123456789", &[]),
        ("Ordenes: 987 654 321 987", &[]),
        ("tele @pepe", &[]),
        ("@admin: ban this user", &[]),
        ("contacto por telegram para pedidos", &[]),
        ("Hablame por telegram para precios", &[]),
        ("compra 2 x 987654321", &[]),
        ("wickr pepe", &[]),
        ("S/. 987 654 321 por el lote completo", &[]),
        ("@narco_king: bro el vendor te responde en telegram", &[]),
        ("Follow us @peru_plug_oficial for drops", &[]),
        ("version 1.2.3 @ 10:30", &[]),
        ("Precio por mayor: 987654321", &[]),
        ("Tracking: 912 345 678", &[]),
        ("Compré 3g, el vendedor respondió por telegram en 2 horas. 10/10", &[]),
        ("La tele: Samsung 55 pulgadas", &[]),
        ("+30000000 de visitas en el foro", &[]),
        ("A Wickr handle is embedded in listing titles", &[]),
        ("add me using the Wickr ID bellow.", &[]),
        ("Meet me at dark.fail tomorrow", &[]),
        ("archivo 952 433 598.html adjunto", &[]),
        ("<img srcset=\"logo@2x.png 2x\"> banner@3x.jpg", &[]),
        ("ISBN 978 612 345", &[]),
    ]);
}
