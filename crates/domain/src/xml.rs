//! What the XML readers (KML boundaries, CAP warnings) share: the text of an element as it
//! arrives in pieces — plain text, CDATA and entity references.

use quick_xml::events::Event;

/// Adds what a text event carries to `buf`; false for events that carry no text.
pub(crate) fn gather(event: &Event<'_>, buf: &mut String) -> Result<bool, String> {
    match event {
        Event::Text(t) => buf.push_str(&t.xml_content().map_err(|e| e.to_string())?),
        Event::CData(t) => buf.push_str(&t.decode().map_err(|e| e.to_string())?),
        Event::GeneralRef(r) => {
            let name = r.decode().map_err(|e| e.to_string())?;
            let ch = match name.as_ref() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => r.resolve_char_ref().ok().flatten(),
            };
            buf.extend(ch);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
