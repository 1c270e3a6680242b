//! An official base map under the maps to point at: tiles from a WMTS in longitude and latitude
//! (天地图's `c` matrix, e.g. `https://t0.tianditu.gov.cn/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&
//! VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&
//! TILECOL={x}&tk=…`). Optional: without it, or without a network, the maps are the stored
//! boundaries alone.

use axum::http::HeaderValue;
use shanzhi_domain::geo::tiles::Tile;

/// Where tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basemap {
    template: String,
    /// The pages' content security policy with the origin's images allowed, made once.
    csp: HeaderValue,
}

impl Basemap {
    /// A tile URL template with `{z}`, `{x}` and `{y}`, over http or https.
    pub fn parse(template: &str) -> Result<Basemap, String> {
        let template = template.trim();
        let url = reqwest::Url::parse(&template.replace(['{', '}'], ""))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| format!("底图瓦片地址无效：{template}"))?;
        if !["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p)) {
            return Err(format!(
                "底图瓦片地址须含 {{z}}、{{x}}、{{y}}（层级、列、行）：{template}"
            ));
        }
        let origin = url.origin().ascii_serialization();
        let csp = crate::headers::csp_with_images_from(&origin)
            .ok_or_else(|| format!("底图瓦片地址无效：{template}"))?;
        Ok(Basemap {
            template: template.to_owned(),
            csp,
        })
    }

    /// The address of one tile.
    pub fn url(&self, t: &Tile) -> String {
        self.template
            .replace("{z}", &t.z.to_string())
            .replace("{x}", &t.x.to_string())
            .replace("{y}", &t.y.to_string())
    }

    /// The pages' content security policy, allowing images from the tiles' origin (scheme,
    /// host and port).
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_names_its_tiles_and_their_origin() {
        let b = Basemap::parse(
            "https://t0.tianditu.gov.cn/vec_c/wmts?TILEMATRIXSET=c&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k",
        )
        .unwrap();
        let csp = b.csp().to_str().unwrap();
        assert!(
            csp.contains("img-src 'self' data: blob: https://t0.tianditu.gov.cn;"),
            "{csp}"
        );
        let t = Tile {
            z: 17,
            x: 3,
            y: 4,
            west: 0.0,
            north: 0.0,
            span: 1.0,
        };
        assert!(b.url(&t).contains("TILEMATRIX=17&TILEROW=4&TILECOL=3&tk=k"));
        assert!(Basemap::parse("ftp://x/{z}/{x}/{y}").is_err());
        assert!(Basemap::parse("https://x/tiles/{z}").is_err());
    }
}
