use super::{parse_price, NumberFormat};

fn read(shown: &str) -> (Option<f64>, Option<String>) {
    let p = parse_price(shown, NumberFormat::Auto);
    (p.amount, p.currency)
}

fn is(shown: &str, amount: f64, currency: &str) {
    let (a, c) = read(shown);
    assert_eq!(a, Some(amount), "amount of {shown:?}");
    assert_eq!(c.as_deref(), Some(currency), "currency of {shown:?}");
}

#[test]
fn soles_peruvian_format() {
    is("S/ 1.250,00", 1250.0, "PEN");
    is("S/. 85,50", 85.5, "PEN");
    is("S/180,00", 180.0, "PEN");
    is("1.250 soles", 1250.0, "PEN");
    is("PEN 900", 900.0, "PEN");
}

#[test]
fn dollars_and_codes() {
    is("$1,250.00", 1250.0, "USD");
    is("USD 45", 45.0, "USD");
    is("USD 420.00", 420.0, "USD");
    is("US$ 12.50", 12.5, "USD");
    is("$95.00", 95.0, "USD");
}

#[test]
fn per_unit_prices_keep_the_price_not_the_unit() {
    is("485.00 USD/112g", 485.0, "USD");
    is("4,850.00 USD/112g", 4850.0, "USD");
}

#[test]
fn canadian_and_euro() {
    is("CAD $367.5", 367.5, "CAD");
    is("€20", 20.0, "EUR");
    is("20,00 €", 20.0, "EUR");
    is("£15.99", 15.99, "GBP");
}

#[test]
fn crypto_prices() {
    is("0.0042 BTC", 0.0042, "BTC");
    is("฿0.00271", 0.00271, "BTC");
    is("1.85 XMR", 1.85, "XMR");
    is("0.0035 BTC", 0.0035, "BTC");
}

#[test]
fn ranges_keep_the_first_amount() {
    is("50.00 - 39000.00 EUR", 50.0, "EUR");
    is("50.00 - 390.00 EUR", 50.0, "EUR");
}

#[test]
fn explicit_format_overrides_the_guess() {
    let p = parse_price("1.250", NumberFormat::Dot);
    assert_eq!(p.amount, Some(1250.0));
    let p = parse_price("1.250", NumberFormat::Comma);
    assert_eq!(p.amount, Some(1.25));
    let p = parse_price("1,5", NumberFormat::Dot);
    assert_eq!(p.amount, Some(1.5));
}

#[test]
fn the_nearest_marker_names_the_currency() {
    // The equivalent in brackets must not take over.
    is("USD 45 (≈ 0.0007 BTC)", 45.0, "USD");
    is("0.0042 BTC ≈ S/ 57,00", 0.0042, "BTC");
}

#[test]
fn letters_inside_words_are_not_currencies() {
    let (a, c) = read("12 pendientes");
    assert_eq!(a, Some(12.0));
    assert_eq!(c, None);
}

#[test]
fn unreadable_prices_keep_the_text() {
    let p = parse_price("  precio   a consultar ", NumberFormat::Auto);
    assert_eq!(p.amount, None);
    assert_eq!(p.currency, None);
    assert_eq!(p.shown, "precio a consultar");
    let p = parse_price("1.2.3", NumberFormat::Auto);
    assert_eq!(p.amount, Some(123.0));
}

#[test]
fn formats_are_named_as_in_the_config() {
    assert_eq!(
        NumberFormat::from_config("1,234.56"),
        Some(NumberFormat::Comma)
    );
    assert_eq!(
        NumberFormat::from_config("1.234,56"),
        Some(NumberFormat::Dot)
    );
    assert_eq!(NumberFormat::from_config("auto"), Some(NumberFormat::Auto));
    assert_eq!(NumberFormat::from_config("1 234,56"), None);
}
