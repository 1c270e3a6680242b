//! Voice notes (语音留言): a resident who cannot type says what happened. A file counts as a
//! voice note by what its first bytes are, never by its name or declared type, and only in the
//! formats phones and browsers record: AMR (older Android phones and WeChat exports), M4A/MP4
//! (iPhone voice memos, Safari's recorder), WebM and Ogg with Opus (Chromium's and Firefox's
//! recorder), MP3 and WAV. Audio is kept as sent: re-encoding it would need a codec library for
//! every format, and browsers play all of these except AMR, which the case page offers to download.

/// The largest voice note kept: about ten minutes of AMR, two of M4A at phone quality.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// Smaller than this holds no speech (a header alone, or a press on the record button).
const MIN_BYTES: usize = 256;

/// An audio container as stored.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AudioFormat {
    /// AMR narrow- or wide-band.
    Amr,
    /// MPEG-4 audio (M4A, 3GP).
    M4a,
    /// WebM (Opus).
    Webm,
    /// Ogg (Opus or Vorbis).
    Ogg,
    /// MP3.
    Mp3,
    /// RIFF WAVE.
    Wav,
}

impl AudioFormat {
    /// Every format, in the order the page lists them.
    pub const ALL: [AudioFormat; 6] = [
        AudioFormat::Amr,
        AudioFormat::M4a,
        AudioFormat::Webm,
        AudioFormat::Ogg,
        AudioFormat::Mp3,
        AudioFormat::Wav,
    ];

    /// The one text form.
    pub fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Amr => "amr",
            AudioFormat::M4a => "m4a",
            AudioFormat::Webm => "webm",
            AudioFormat::Ogg => "ogg",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Wav => "wav",
        }
    }

    /// The media type it is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            AudioFormat::Amr => "audio/amr",
            AudioFormat::M4a => "audio/mp4",
            AudioFormat::Webm => "audio/webm",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Wav => "audio/wav",
        }
    }

    /// Whether common browsers play it in the page (AMR they do not: it is downloaded).
    pub fn plays_in_browser(self) -> bool {
        self != AudioFormat::Amr
    }

    /// The format of `bytes` by their content, if they are audio this page accepts.
    pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
        let at = |from: usize, magic: &[u8]| bytes.get(from..from + magic.len()) == Some(magic);
        if at(0, b"#!AMR") {
            return Some(AudioFormat::Amr);
        }
        // ISO media: a `ftyp` box first, whose brand says audio or a general MP4 (phones'
        // recorders write M4A, mp42, isom or 3gp).
        if at(4, b"ftyp") {
            let brand = bytes.get(8..12)?;
            let audio = [
                b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso5", b"iso6",
            ]
            .iter()
            .any(|b| brand == *b)
                || brand.starts_with(b"3g");
            return audio.then_some(AudioFormat::M4a);
        }
        // EBML; WebM says so in its doctype near the start (Matroska video does not).
        if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
            let head = &bytes[..bytes.len().min(64)];
            return head
                .windows(4)
                .any(|w| w == b"webm")
                .then_some(AudioFormat::Webm);
        }
        if at(0, b"OggS") {
            return Some(AudioFormat::Ogg);
        }
        if at(0, b"RIFF") && at(8, b"WAVE") {
            return Some(AudioFormat::Wav);
        }
        if at(0, b"ID3") {
            return Some(AudioFormat::Mp3);
        }
        // A bare MPEG audio frame: eleven sync bits, then a layer that is not "reserved".
        match bytes {
            [0xFF, b, ..] if b & 0xE0 == 0xE0 && b & 0x06 != 0 => Some(AudioFormat::Mp3),
            _ => None,
        }
    }
}

/// A voice note that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// Its format, by content.
    pub format: AudioFormat,
    /// The file as sent.
    pub bytes: Vec<u8>,
}

/// Why a file is not taken as a voice note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoiceError {
    /// Over [`MAX_BYTES`].
    #[error("语音文件太大（不能超过 {} MB），请录短一些", MAX_BYTES / (1024 * 1024))]
    TooLarge,
    /// Under [`MIN_BYTES`].
    #[error("语音太短，没有录到声音，请按住说几句再提交")]
    TooShort,
    /// Not audio in an accepted format.
    #[error("不是可以接收的语音文件，请用页面上的录音按钮，或上传 AMR、M4A、MP3、WebM 格式的录音")]
    NotAudio,
}

/// Checks an uploaded voice note.
pub fn check(bytes: &[u8]) -> Result<Voice, VoiceError> {
    if bytes.len() > MAX_BYTES {
        return Err(VoiceError::TooLarge);
    }
    if bytes.len() < MIN_BYTES {
        return Err(VoiceError::TooShort);
    }
    let format = AudioFormat::sniff(bytes).ok_or(VoiceError::NotAudio)?;
    Ok(Voice {
        format,
        bytes: bytes.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(head: &[u8]) -> Vec<u8> {
        let mut v = head.to_vec();
        v.resize(MIN_BYTES + 10, 0x55);
        v
    }

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        let cases: [(&[u8], Option<AudioFormat>); 11] = [
            (b"#!AMR\n\x3c", Some(AudioFormat::Amr)),
            (b"#!AMR-WB\n", Some(AudioFormat::Amr)),
            (b"\0\0\0\x20ftypM4A \0\0\0\0", Some(AudioFormat::M4a)),
            (b"\0\0\0\x18ftyp3gp4\0\0\0\0", Some(AudioFormat::M4a)),
            (b"\0\0\0\x18ftypqt  \0\0\0\0", None),
            (
                b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
                Some(AudioFormat::Webm),
            ),
            (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", None),
            (b"OggS\0\x02", Some(AudioFormat::Ogg)),
            (b"RIFF\x24\0\0\0WAVEfmt ", Some(AudioFormat::Wav)),
            (b"ID3\x03\0", Some(AudioFormat::Mp3)),
            (b"\xff\xfb\x90\x64", Some(AudioFormat::Mp3)),
        ];
        for (head, want) in cases {
            assert_eq!(AudioFormat::sniff(&padded(head)), want, "{head:?}");
        }
        // A JPEG is not audio, whatever it is called.
        assert_eq!(AudioFormat::sniff(&padded(b"\xff\xd8\xff\xe0")), None);
        assert_eq!(AudioFormat::sniff(b""), None);
    }

    #[test]
    fn size_and_content_are_checked() {
        assert_eq!(check(b"#!AMR\n"), Err(VoiceError::TooShort));
        let mut big = b"#!AMR\n".to_vec();
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(check(&big), Err(VoiceError::TooLarge));
        assert_eq!(check(&padded(b"%PDF-1.7")), Err(VoiceError::NotAudio));
        let ok = check(&padded(b"OggS")).expect("ogg");
        assert_eq!(ok.format, AudioFormat::Ogg);
        assert_eq!(ok.bytes.len(), MIN_BYTES + 10);
    }
}
