//! `shipping-api`: see the library for what it does.
//!
//! `shipping-api hash-password` reads a password on standard input and prints the argon2 PHC
//! string to put in `[[admin.users]]`. `shipping-api openapi` prints the OpenAPI document (for
//! generating a client without running the server).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("hash-password") {
        let mut password = String::new();
        std::io::stdin().read_line(&mut password)?;
        let password = password.trim_end_matches(['\n', '\r']);
        anyhow::ensure!(!password.is_empty(), "give the password on standard input");
        let phc = shipping_api::password::hash(password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        use std::io::Write;
        writeln!(std::io::stdout(), "{phc}")?;
        return Ok(());
    }
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        use std::io::Write;
        writeln!(std::io::stdout(), "{}", shipping_api::openapi::document_json())?;
        return Ok(());
    }
    shipping_api::run().await
}
