//! Photos of a case (现场照片): what is accepted and what is kept.
//!
//! A file counts as a photo only if it decodes as one, whatever its name or declared type says.
//! Every photo is re-encoded before it is stored: that turns it upright (phones record rotation
//! in EXIF rather than in the pixels), drops its EXIF (which carries the phone's GPS position
//! and model — a resident's home, for a report made from home), and scales it to what a case
//! page shows, so a 10 MB original costs a few hundred kilobytes.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

/// When in the case's life a photo was added, as pages group them: the scene as reported
/// (处置前), the work under way (处置中), the result (处置后).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before anyone took the case up.
    Before,
    /// While it was being handled.
    During,
    /// Once it was handled.
    After,
}

impl Phase {
    /// The phase of a photo added while the case stood at `stage`.
    pub fn of(stage: super::Stage) -> Phase {
        use super::Stage::*;
        match stage {
            Reported | Accepted | Dispatched | Rejected | Merged => Phase::Before,
            InProgress => Phase::During,
            Handled | Verified | Closed | Rated | FollowedUp => Phase::After,
        }
    }

    /// Chinese heading.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Before => "处置前（现场）",
            Phase::During => "处置中",
            Phase::After => "处置后",
        }
    }
}

/// Groups items by the phase of the stage each was added at, in phase order, keeping their
/// order within a phase.
pub fn by_phase<T>(items: impl IntoIterator<Item = (super::Stage, T)>) -> Vec<(Phase, Vec<T>)> {
    let mut groups: Vec<(Phase, Vec<T>)> = Vec::new();
    for (stage, item) in items {
        let phase = Phase::of(stage);
        match groups.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, list)) => list.push(item),
            None => groups.push((phase, vec![item])),
        }
    }
    groups.sort_by_key(|(p, _)| *p);
    groups
}

/// Default largest upload, in bytes (10 MB); servers may configure another.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most photos one report or one upload may carry.
pub const MAX_PER_UPLOAD: usize = 6;
/// Most photos one case may collect over its life.
pub const MAX_PER_CASE: usize = 30;
/// Longest edge of a stored photo, in pixels.
pub const LONG_EDGE: u32 = 2048;
/// Longest edge of a thumbnail, in pixels.
pub const THUMB_EDGE: u32 = 320;
/// Widest or tallest picture accepted: beyond this a small file may still expand into
/// gigabytes when decoded.
pub const MAX_EDGE: u32 = 12_000;
const QUALITY: u8 = 80;
const THUMB_QUALITY: u8 = 70;

/// Why a file was refused as a photo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Larger than the configured limit.
    #[error("照片不能超过 {} MB", .max_bytes / (1024 * 1024))]
    TooLarge {
        /// The limit, in bytes.
        max_bytes: usize,
    },
    /// Not an image at all.
    #[error("文件不是图片，请上传 JPG、PNG 或 WebP 照片")]
    NotAnImage,
    /// An image, but not one phones send (GIF, BMP, TIFF …).
    #[error("不支持这种图片格式，请上传 JPG、PNG 或 WebP 照片")]
    Unsupported,
    /// Wider or taller than [`MAX_EDGE`].
    #[error("图片尺寸过大（长边不能超过 {MAX_EDGE} 像素）")]
    TooManyPixels,
    /// Recognised, but broken or cut off.
    #[error("图片已损坏或不完整，请重新拍摄后上传")]
    Corrupt,
}

/// A photo ready to store: upright, without metadata, as JPEG, with its thumbnail.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The photo, at most [`LONG_EDGE`] on its longer side.
    pub jpeg: Vec<u8>,
    /// The thumbnail, at most [`THUMB_EDGE`] on its longer side.
    pub thumb: Vec<u8>,
    /// Width of `jpeg`, in pixels.
    pub width: u32,
    /// Height of `jpeg`, in pixels.
    pub height: u32,
}

/// Checks that `bytes` are a photo within `max_bytes` and prepares it for storing.
/// CPU-bound (tens of milliseconds for a phone photo): callers on an async runtime run it on a
/// blocking thread.
pub fn prepare(bytes: &[u8], max_bytes: usize) -> Result<Prepared, PhotoError> {
    if bytes.len() > max_bytes {
        return Err(PhotoError::TooLarge { max_bytes });
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoError::Unsupported);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    // A missing or unreadable orientation means the pixels are already upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    picture.apply_orientation(orientation);
    let picture = if picture.width().max(picture.height()) > LONG_EDGE {
        picture.resize(LONG_EDGE, LONG_EDGE, FilterType::Triangle)
    } else {
        picture
    };
    let rgb = on_white(&picture);
    let thumb = DynamicImage::ImageRgb8(rgb.clone()).thumbnail(THUMB_EDGE, THUMB_EDGE);
    Ok(Prepared {
        width: rgb.width(),
        height: rgb.height(),
        jpeg: encode(&rgb, QUALITY)?,
        thumb: encode(&thumb.to_rgb8(), THUMB_QUALITY)?,
    })
}

fn decode_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        image::ImageError::Unsupported(_) => PhotoError::Unsupported,
        _ => PhotoError::Corrupt,
    }
}

/// JPEG has no transparency: transparent parts of a PNG become white, as on paper, not the
/// black that dropping the alpha channel would leave.
fn on_white(picture: &DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|_| PhotoError::Corrupt)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32, pixel: Rgba<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                RgbaImage::from_pixel(width, height, pixel).as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgba8,
            )
            .expect("encode test PNG");
        out
    }

    /// A JPEG whose pixels lie on their side, with an EXIF orientation of 6 (turn 90° clockwise
    /// to view), as a phone held upright writes it.
    fn sideways_jpeg() -> Vec<u8> {
        let jpeg = encode(&RgbImage::from_pixel(40, 20, image::Rgb([0, 128, 0])), 90)
            .expect("encode test JPEG");
        let mut tiff = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
        let len = u16::try_from(tiff.len() + 2).expect("short segment");
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&tiff);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_photo_is_stored_as_an_upright_jpeg_with_a_thumbnail() {
        let p = prepare(&sideways_jpeg(), DEFAULT_MAX_BYTES).expect("a photo");
        assert_eq!((p.width, p.height), (20, 40), "turned upright");
        assert_eq!(image::guess_format(&p.jpeg).ok(), Some(ImageFormat::Jpeg));
        let stored = image::load_from_memory(&p.jpeg).expect("decodes");
        assert_eq!((stored.width(), stored.height()), (20, 40));
    }

    #[test]
    fn metadata_does_not_survive() {
        let original = sideways_jpeg();
        assert!(original.windows(4).any(|w| w == b"Exif"));
        let p = prepare(&original, DEFAULT_MAX_BYTES).expect("a photo");
        assert!(!p.jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(!p.thumb.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn large_photos_are_scaled_to_the_long_edge_and_thumbnailed() {
        let p = prepare(&png(3000, 1500, Rgba([9, 9, 9, 255])), DEFAULT_MAX_BYTES).expect("ok");
        assert_eq!((p.width, p.height), (LONG_EDGE, LONG_EDGE / 2));
        let thumb = image::load_from_memory(&p.thumb).expect("thumb decodes");
        assert_eq!(
            (thumb.width(), thumb.height()),
            (THUMB_EDGE, THUMB_EDGE / 2)
        );
    }

    #[test]
    fn transparency_becomes_white() {
        let p = prepare(&png(8, 8, Rgba([0, 0, 0, 0])), DEFAULT_MAX_BYTES).expect("ok");
        let stored = image::load_from_memory(&p.jpeg).expect("decodes").to_rgb8();
        assert!(stored.get_pixel(4, 4).0.iter().all(|&c| c > 240));
    }

    #[test]
    fn files_over_the_limit_are_refused_before_decoding() {
        let bytes = png(64, 64, Rgba([1, 2, 3, 255]));
        assert_eq!(
            prepare(&bytes, bytes.len() - 1).err(),
            Some(PhotoError::TooLarge {
                max_bytes: bytes.len() - 1
            })
        );
        assert_eq!(
            PhotoError::TooLarge {
                max_bytes: DEFAULT_MAX_BYTES
            }
            .to_string(),
            "照片不能超过 10 MB"
        );
    }

    #[test]
    fn content_decides_not_the_name() {
        let text = "这不是图片".as_bytes();
        assert_eq!(
            prepare(text, DEFAULT_MAX_BYTES).err(),
            Some(PhotoError::NotAnImage)
        );
        let gif = b"GIF89a\x01\0\x01\0\0\0\0;";
        assert_eq!(
            prepare(gif, DEFAULT_MAX_BYTES).err(),
            Some(PhotoError::Unsupported)
        );
    }

    #[test]
    fn broken_and_oversized_pictures_are_refused() {
        let whole = png(64, 64, Rgba([1, 2, 3, 255]));
        assert_eq!(
            prepare(&whole[..whole.len() / 2], DEFAULT_MAX_BYTES).err(),
            Some(PhotoError::Corrupt)
        );
        // A tiny file that claims a picture wider than any camera makes.
        let wide = png(MAX_EDGE + 1, 1, Rgba([0, 0, 0, 255]));
        assert!(wide.len() < 1024 * 1024);
        assert_eq!(
            prepare(&wide, DEFAULT_MAX_BYTES).err(),
            Some(PhotoError::TooManyPixels)
        );
    }
}
