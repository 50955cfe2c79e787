//! The `otpauth://` URI of an authenticator enrolment as a QR code in
//! inline SVG: markup, not a resource, so the pages' policy needs no
//! `img-src`.

/// The QR code of `text`, with a four-module quiet zone.
pub fn svg(text: &str) -> Result<String, domain::Error> {
    use qrcodegen_image::qrcodegen::{QrCode, QrCodeEcc};
    let qr =
        QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|e| domain::Error::internal(format!("QR code: {e:?}")))?;
    let (size, border) = (qr.size(), 4);
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let full = size + 2 * border;
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {full} {full}" width="240" height="240" role="img" aria-label="QR code of the authenticator secret"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_markup_with_only_rectangles_and_no_text_of_the_secret() {
        let svg = super::svg("otpauth://totp/authd:ada?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("JBSWY3DP") && !svg.contains("<script") && !svg.contains("href"));
    }
}
