//! One document model rendered as either of GeoReport's formats: JSON, or XML with the element
//! names the specification gives (`<services><service>…`, `<errors><error>…`).

use std::fmt::Write;

/// A value in a GeoReport answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// Text (also dates and codes).
    Text(String),
    /// A number.
    Number(f64),
    /// A whole number.
    Int(i64),
    /// true / false.
    Bool(bool),
    /// Absent: `null` in JSON, an empty element in XML.
    Null,
    /// Named fields, in order.
    Object(Vec<(&'static str, Doc)>),
    /// A list; in XML each item is wrapped in `item` elements.
    List {
        /// The XML element name of each item.
        item: &'static str,
        /// The items.
        items: Vec<Doc>,
    },
}

impl Doc {
    /// Text, or null when absent.
    pub fn opt_text(s: Option<impl Into<String>>) -> Doc {
        s.map_or(Doc::Null, |s| Doc::Text(s.into()))
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Doc::Text(s) => Value::String(s.clone()),
            Doc::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Doc::Int(n) => Value::from(*n),
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Null => Value::Null,
            Doc::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.to_json()))
                    .collect(),
            ),
            Doc::List { items, .. } => Value::Array(items.iter().map(Doc::to_json).collect()),
        }
    }

    /// As an XML document whose root element is `root`.
    pub fn to_xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        self.write_xml(root, &mut out);
        out
    }

    fn write_xml(&self, tag: &str, out: &mut String) {
        match self {
            Doc::Null => {
                let _ = write!(out, "<{tag}/>");
            }
            Doc::Text(s) => {
                let _ = write!(out, "<{tag}>{}</{tag}>", escape(s));
            }
            Doc::Number(n) => {
                let _ = write!(out, "<{tag}>{n}</{tag}>");
            }
            Doc::Int(n) => {
                let _ = write!(out, "<{tag}>{n}</{tag}>");
            }
            Doc::Bool(b) => {
                let _ = write!(out, "<{tag}>{b}</{tag}>");
            }
            Doc::Object(fields) => {
                let _ = write!(out, "<{tag}>");
                for (k, v) in fields {
                    v.write_xml(k, out);
                }
                let _ = write!(out, "</{tag}>");
            }
            Doc::List { item, items } => {
                let _ = write!(out, "<{tag}>");
                for i in items {
                    i.write_xml(item, out);
                }
                let _ = write!(out, "</{tag}>");
            }
        }
    }
}

/// Escapes text for XML content.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Doc {
        Doc::List {
            item: "request",
            items: vec![Doc::Object(vec![
                ("service_request_id", Doc::Text("12".into())),
                ("description", Doc::Text("a<b & \"c\"".into())),
                ("lat", Doc::Number(22.5)),
                ("media_url", Doc::Null),
            ])],
        }
    }

    #[test]
    fn json_is_an_array_of_objects() {
        assert_eq!(
            sample().to_json(),
            serde_json::json!([{"service_request_id": "12", "description": "a<b & \"c\"", "lat": 22.5, "media_url": null}])
        );
    }

    #[test]
    fn xml_wraps_each_item_and_escapes_text() {
        assert_eq!(
            sample().to_xml("service_requests"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request><service_request_id>12</service_request_id>\
             <description>a&lt;b &amp; &quot;c&quot;</description><lat>22.5</lat><media_url/></request></service_requests>"
        );
    }
}
