//! Metadata stripping: real files carrying what identifies a volunteer's device, place and time
//! (EXIF with GPS and serial numbers, XMP, IPTC, comments, PNG text chunks, TIFF tags, PDF
//! document information) come out with none of it, the same pixels, and a QR code that still
//! reads.

use std::io::Cursor;
use std::sync::OnceLock;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::DynamicImage;
use lopdf::{Document, Object, Stream, dictionary};
use proptest::prelude::*;
use veedor_scan::{Limits, StripError, TIFF_KEPT_TAGS, read_pages, scan, strip_metadata};
use veedor_sim::sheet::{Degradation, FileFormat, encode, render};

use crate::support::{REAL_PAYLOADS, sheet, small_page};

/// Every identifying string written into the test files contains this.
const NAME: &[u8] = b"Maria";
const MAKE: &str = "VolunteerPhoneMaker";
const MODEL: &str = "ModelX-77";
const SERIAL: &str = "SN-8842-ABCD";
const TAKEN: &str = "2024:07:28 19:42:07";
const OWNER: &str = "Maria Volunteer";
const LATITUDE: [(u32, u32); 3] = [(10, 1), (29, 1), (4116, 100)];
const LONGITUDE: [(u32, u32); 3] = [(66, 1), (52, 1), (3021, 100)];

/// What must not be anywhere in a stripped file (besides [`NAME`] and the GPS bytes).
const IDENTIFYING: [&str; 5] = [MAKE, MODEL, SERIAL, TAKEN, "20240728"];

fn limits() -> Limits {
    Limits::default()
}

/// A page a scanner would deliver, at 150 dpi: large enough for its QR code to read.
fn scanner_page(payload: &str, colour: bool) -> DynamicImage {
    let degradation = Degradation {
        dpi: 150,
        colour,
        ..Degradation::default()
    };
    render(&sheet(payload), &degradation).unwrap()
}

fn rationals(values: [(u32, u32); 3]) -> Vec<Rational> {
    values
        .iter()
        .map(|(num, denom)| Rational {
            num: *num,
            denom: *denom,
        })
        .collect()
}

/// The bytes of a GPS coordinate as a big- or little-endian TIFF stores it.
fn gps_bytes(values: [(u32, u32); 3], little_endian: bool) -> Vec<u8> {
    values
        .iter()
        .flat_map(|(num, denom)| [*num, *denom])
        .flat_map(|value| {
            if little_endian {
                value.to_le_bytes()
            } else {
                value.to_be_bytes()
            }
        })
        .collect()
}

/// An EXIF block (a TIFF structure) as a phone writes it: make, model, owner, serial number,
/// time, GPS position, and the orientation if given.
fn exif_block(orientation: Option<u16>) -> Vec<u8> {
    let ascii = |text: &str| Value::Ascii(vec![text.as_bytes().to_vec()]);
    let mut fields = vec![
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: ascii(MAKE),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: ascii(MODEL),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: ascii(TAKEN),
        },
        Field {
            tag: Tag::BodySerialNumber,
            ifd_num: In::PRIMARY,
            value: ascii(SERIAL),
        },
        Field {
            tag: Tag::CameraOwnerName,
            ifd_num: In::PRIMARY,
            value: ascii(OWNER),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii("N"),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(rationals(LATITUDE)),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii("W"),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(rationals(LONGITUDE)),
        },
    ];
    if let Some(orientation) = orientation {
        fields.push(Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        });
    }
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, false).unwrap();
    out.into_inner()
}

fn jpeg_segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&u16::try_from(data.len() + 2).unwrap().to_be_bytes());
    segment.extend_from_slice(data);
    segment
}

const XMP: &str = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description \
    xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator>xmp-creator-Maria</dc:creator>\
    </rdf:Description></rdf:RDF></x:xmpmeta>";

/// `jpeg` with what a phone and a photo app add: EXIF (with GPS), XMP, IPTC, an ICC profile
/// naming the device, a comment, a JFXX thumbnail segment and data after the end.
fn jpeg_with_metadata(jpeg: &[u8], orientation: Option<u16>) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&exif_block(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(XMP.as_bytes());
    // Photoshop image resource 0x0404 (IPTC-NAA) holding record 2:80, By-line.
    let byline = b"iptc-byline-Maria";
    let mut iptc = vec![0x1C, 0x02, 0x50];
    iptc.extend_from_slice(&u16::try_from(byline.len()).unwrap().to_be_bytes());
    iptc.extend_from_slice(byline);
    let mut photoshop = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    photoshop.extend_from_slice(&u32::try_from(iptc.len()).unwrap().to_be_bytes());
    photoshop.extend_from_slice(&iptc);
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(b"\0\0\0\x80appl\x02\x10\0\0mntrRGB XYZ desc icc-device-Maria ");
    let mut out = jpeg[..2].to_vec();
    out.extend(jpeg_segment(0xE1, &exif));
    out.extend(jpeg_segment(0xE1, &xmp));
    out.extend(jpeg_segment(0xED, &photoshop));
    out.extend(jpeg_segment(0xE2, &icc));
    out.extend(jpeg_segment(0xFE, b"comment-by-Maria"));
    out.extend(jpeg_segment(0xE0, b"JFXX\0\x10thumbnail-of-Maria"));
    out.extend_from_slice(&jpeg[2..]);
    out.extend_from_slice(b"trailer-after-eoi-Maria");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// (c): nothing identifying is left in `stripped`.
fn assert_nothing_identifying(stripped: &[u8]) {
    for text in IDENTIFYING {
        assert!(
            !contains(stripped, text.as_bytes()),
            "{text} is still there"
        );
    }
    assert!(
        !contains(stripped, NAME),
        "a string naming Maria is still there"
    );
    for little_endian in [false, true] {
        assert!(
            !contains(stripped, &gps_bytes(LATITUDE, little_endian)),
            "the latitude is still there"
        );
        assert!(
            !contains(stripped, &gps_bytes(LONGITUDE, little_endian)),
            "the longitude is still there"
        );
    }
}

/// (a): every page decodes to the same pixels.
fn assert_same_pixels(original: &[u8], stripped: &[u8]) {
    let before = read_pages(original, &limits()).unwrap();
    let after = read_pages(stripped, &limits()).unwrap();
    assert_eq!(before.len(), after.len());
    for (one, two) in before.iter().zip(&after) {
        assert_eq!(one.image.color(), two.image.color());
        assert_eq!(one.image.dimensions_tuple(), two.image.dimensions_tuple());
        assert!(
            one.image.as_bytes() == two.image.as_bytes(),
            "page {} changed",
            one.number
        );
    }
}

trait Dimensions {
    fn dimensions_tuple(&self) -> (u32, u32);
}

impl Dimensions for DynamicImage {
    fn dimensions_tuple(&self) -> (u32, u32) {
        (self.width(), self.height())
    }
}

/// (d): stripping is deterministic and idempotent.
fn assert_idempotent(original: &[u8], stripped: &[u8]) {
    assert_eq!(
        strip_metadata(original, &limits()).unwrap(),
        stripped,
        "not deterministic"
    );
    assert_eq!(
        strip_metadata(stripped, &limits()).unwrap(),
        stripped,
        "not idempotent"
    );
}

fn exif_fields(bytes: &[u8]) -> Result<Vec<Field>, exif::Error> {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .map(|found| found.fields().cloned().collect())
}

fn assert_payload(bytes: &[u8], payload: &str) {
    let outcome = scan(bytes, &limits()).unwrap();
    for page in &outcome.pages {
        assert_eq!(
            page.result.payloads,
            vec![payload.to_owned()],
            "page {}",
            page.page.number
        );
    }
}

#[test]
fn jpeg_keeps_its_pixels_and_loses_exif_xmp_iptc_icc_and_comments() {
    let clean = encode(
        &[scanner_page(REAL_PAYLOADS[0], true)],
        FileFormat::Jpeg { quality: 85 },
    )
    .unwrap();
    let original = jpeg_with_metadata(&clean, None);
    // The test file carries what it should.
    let fields = exif_fields(&original).unwrap();
    assert!(fields.iter().any(|field| field.tag == Tag::GPSLatitude));
    assert!(
        fields
            .iter()
            .any(|field| field.tag == Tag::BodySerialNumber)
    );
    assert!(
        contains(&original, SERIAL.as_bytes()) && contains(&original, &gps_bytes(LATITUDE, false))
    );

    let stripped = strip_metadata(&original, &limits()).unwrap();
    assert_same_pixels(&original, &stripped);
    assert!(matches!(
        exif_fields(&stripped),
        Err(exif::Error::NotFound(_))
    ));
    assert_nothing_identifying(&stripped);
    assert_idempotent(&original, &stripped);
    assert_payload(&stripped, REAL_PAYLOADS[0]);
    // Only the JFIF header and the image itself are left: smaller than the clean file.
    assert!(
        stripped.len() <= clean.len(),
        "{} > {}",
        stripped.len(),
        clean.len()
    );
    assert!(stripped.ends_with(&[0xFF, 0xD9]));
}

#[test]
fn jpeg_orientation_survives_alone() {
    let page = scanner_page(REAL_PAYLOADS[1], false);
    let clean = encode(
        std::slice::from_ref(&page),
        FileFormat::Jpeg { quality: 85 },
    )
    .unwrap();
    let original = jpeg_with_metadata(&clean, Some(6));
    let stripped = strip_metadata(&original, &limits()).unwrap();

    let fields = exif_fields(&stripped).unwrap();
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0].tag, Tag::Orientation);
    assert_eq!(fields[0].value.get_uint(0), Some(6));
    assert_nothing_identifying(&stripped);
    assert_idempotent(&original, &stripped);

    // The page is turned upright the same way: a quarter turn, so its sides swap.
    assert_same_pixels(&original, &stripped);
    let read = read_pages(&stripped, &limits()).unwrap();
    assert_eq!(
        read[0].image.dimensions_tuple(),
        (page.height(), page.width())
    );
    assert_payload(&stripped, REAL_PAYLOADS[1]);
}

#[test]
fn jpeg_orientation_one_needs_no_exif() {
    let clean = encode(
        &[small_page(REAL_PAYLOADS[2])],
        FileFormat::Jpeg { quality: 70 },
    )
    .unwrap();
    let stripped = strip_metadata(&jpeg_with_metadata(&clean, Some(1)), &limits()).unwrap();
    assert!(matches!(
        exif_fields(&stripped),
        Err(exif::Error::NotFound(_))
    ));
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.sum().to_be_bytes());
    chunk
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `png` with text chunks (plain, compressed, international XMP), EXIF with GPS, a time, an
/// ICC profile, a private chunk and data after the end.
fn png_with_metadata(png: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let compressed_comment = zlib(b"ztxt-comment-by-Maria");
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend_from_slice(&compressed_comment);
    let mut itxt = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt.extend_from_slice(XMP.as_bytes());
    let mut iccp = b"device-icc\0\0".to_vec();
    iccp.extend_from_slice(&zlib(b"icc-device-Maria"));
    let header_end = 8 + 25; // signature, IHDR
    let mut out = png[..header_end].to_vec();
    out.extend(png_chunk(b"tEXt", format!("Author\0{OWNER}").as_bytes()));
    out.extend(png_chunk(
        b"tEXt",
        format!("Software\0{MAKE} {MODEL}").as_bytes(),
    ));
    out.extend(png_chunk(b"zTXt", &ztxt));
    out.extend(png_chunk(b"iTXt", &itxt));
    out.extend(png_chunk(b"eXIf", &exif_block(None)));
    out.extend(png_chunk(b"tIME", &[0x07, 0xE8, 7, 28, 19, 42, 7]));
    out.extend(png_chunk(b"iCCP", &iccp));
    out.extend(png_chunk(b"pHYs", &[0, 0, 0x17, 0x12, 0, 0, 0x17, 0x12, 1]));
    out.extend(png_chunk(b"prVt", b"private-Maria"));
    out.extend_from_slice(&png[header_end..]);
    out.extend_from_slice(b"after-iend-Maria");
    (out, compressed_comment)
}

#[test]
fn png_keeps_its_pixels_and_loses_text_exif_time_and_icc() {
    let clean = encode(&[scanner_page(REAL_PAYLOADS[2], true)], FileFormat::Png).unwrap();
    let (original, compressed_comment) = png_with_metadata(&clean);
    assert!(
        exif_fields(&original)
            .unwrap()
            .iter()
            .any(|field| field.tag == Tag::GPSLongitude)
    );

    let stripped = strip_metadata(&original, &limits()).unwrap();
    assert_same_pixels(&original, &stripped);
    assert!(matches!(
        exif_fields(&stripped),
        Err(exif::Error::NotFound(_))
    ));
    assert_nothing_identifying(&stripped);
    assert!(!contains(&stripped, &compressed_comment));
    for dropped in [
        b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"iCCP", b"prVt",
    ] {
        assert!(
            !contains(&stripped, dropped),
            "{}",
            String::from_utf8_lossy(dropped)
        );
    }
    assert!(contains(&stripped, b"pHYs"), "the resolution is kept");
    assert!(stripped.ends_with(&png_chunk(b"IEND", &[])));
    assert_idempotent(&original, &stripped);
    assert_payload(&stripped, REAL_PAYLOADS[2]);
}

#[test]
fn png_with_an_unknown_critical_chunk_is_refused() {
    let clean = encode(&[small_page(REAL_PAYLOADS[0])], FileFormat::Png).unwrap();
    let mut bytes = clean[..33].to_vec();
    bytes.extend(png_chunk(b"ZZZZ", b"Maria"));
    bytes.extend_from_slice(&clean[33..]);
    let error = strip_metadata(&bytes, &limits()).unwrap_err();
    assert!(
        matches!(error, StripError::UnsupportedContent { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("ZZZZ"), "{error}");
}

/// A multi-page TIFF whose every page carries make, model, software, time, artist, host,
/// description, XMP, and pointers to a GPS and an EXIF directory (serial number, owner).
fn tiff_with_metadata(pages: &[DynamicImage]) -> Vec<u8> {
    use tiff::encoder::{Compression, Rational as TiffRational, TiffEncoder, colortype};
    use tiff::tags::Tag as TiffTag;
    let mut bytes = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut bytes)
        .unwrap()
        .with_compression(Compression::Lzw);
    let rational = |values: [(u32, u32); 3]| values.map(|(n, d)| TiffRational { n, d });
    let mut pointers = Vec::new();
    // Each page its own GPS and EXIF directories (a reader refuses one visited twice).
    for _ in pages {
        let mut directory = encoder.extra_directory().unwrap();
        directory.write_tag(TiffTag::Unknown(1), "N").unwrap();
        directory
            .write_tag(TiffTag::Unknown(2), &rational(LATITUDE)[..])
            .unwrap();
        directory.write_tag(TiffTag::Unknown(3), "W").unwrap();
        directory
            .write_tag(TiffTag::Unknown(4), &rational(LONGITUDE)[..])
            .unwrap();
        let gps = directory.finish_with_offsets().unwrap().offset;
        let mut directory = encoder.extra_directory().unwrap();
        directory
            .write_tag(TiffTag::Unknown(0x9003), TAKEN)
            .unwrap();
        directory
            .write_tag(TiffTag::Unknown(0xA430), OWNER)
            .unwrap();
        directory
            .write_tag(TiffTag::Unknown(0xA431), SERIAL)
            .unwrap();
        let exif = directory.finish_with_offsets().unwrap().offset;
        pointers.push((gps, exif));
    }
    let tag_page = |directory: &mut tiff::encoder::DirectoryEncoder<'_, _, _>, (gps, exif)| {
        directory.write_tag(TiffTag::Make, MAKE).unwrap();
        directory.write_tag(TiffTag::Model, MODEL).unwrap();
        directory
            .write_tag(TiffTag::Software, "ScanApp for Maria")
            .unwrap();
        directory.write_tag(TiffTag::DateTime, TAKEN).unwrap();
        directory.write_tag(TiffTag::Artist, OWNER).unwrap();
        directory
            .write_tag(TiffTag::HostComputer, "laptop-of-Maria")
            .unwrap();
        directory
            .write_tag(TiffTag::ImageDescription, "acta scanned by Maria")
            .unwrap();
        directory
            .write_tag(TiffTag::Unknown(700), XMP.as_bytes())
            .unwrap();
        directory.write_tag(TiffTag::GpsDirectory, gps).unwrap();
        directory.write_tag(TiffTag::ExifDirectory, exif).unwrap();
    };
    for (page, pointers) in pages.iter().zip(pointers) {
        match page {
            DynamicImage::ImageLuma8(grey) => {
                let mut image = encoder
                    .new_image::<colortype::Gray8>(grey.width(), grey.height())
                    .unwrap();
                tag_page(image.encoder(), pointers);
                image.write_data(grey.as_raw()).unwrap();
            }
            other => {
                let rgb = other.to_rgb8();
                let mut image = encoder
                    .new_image::<colortype::RGB8>(rgb.width(), rgb.height())
                    .unwrap();
                tag_page(image.encoder(), pointers);
                image.write_data(rgb.as_raw()).unwrap();
            }
        }
    }
    bytes.into_inner()
}

#[test]
fn multi_page_tiff_keeps_its_pixels_and_loses_every_descriptive_tag() {
    let pages = [
        scanner_page(REAL_PAYLOADS[0], false),
        scanner_page(REAL_PAYLOADS[0], true),
        scanner_page(REAL_PAYLOADS[0], false),
    ];
    let original = tiff_with_metadata(&pages);
    let fields = exif_fields(&original).unwrap();
    assert!(fields.iter().any(|field| field.tag == Tag::GPSLatitude));
    assert!(fields.iter().any(|field| field.tag == Tag::Artist));

    let stripped = strip_metadata(&original, &limits()).unwrap();
    assert_same_pixels(&original, &stripped);
    assert_eq!(read_pages(&stripped, &limits()).unwrap().len(), 3);
    // The reader sees the first two pages' directories: only tags describing the image.
    for field in exif_fields(&stripped).unwrap() {
        assert!(
            TIFF_KEPT_TAGS.contains(&field.tag.number())
                && field.tag.context() == exif::Context::Tiff,
            "{field:?}"
        );
    }
    assert_nothing_identifying(&stripped);
    assert!(!contains(&stripped, b"xmpmeta"));
    assert_idempotent(&original, &stripped);
    assert_payload(&stripped, REAL_PAYLOADS[0]);
}

/// A PDF as a phone app writes it: document information (author, producer, dates), an XMP
/// stream, an /ID, private application data on the page, an attached file, and the photo
/// itself, with its EXIF, as the page image.
fn pdf_with_metadata(page: &DynamicImage) -> Vec<u8> {
    let clean = encode(std::slice::from_ref(page), FileFormat::Jpeg { quality: 85 }).unwrap();
    let photo = jpeg_with_metadata(&clean, None);
    let (width, height) = (i64::from(page.width()), i64::from(page.height()));
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let image_id = document.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => width, "Height" => height,
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
        },
        photo,
    ));
    let content = format!("q {width} 0 0 {height} 0 0 cm /Im0 Do Q");
    let content_id = document.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let page_id = document.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), width.into(), height.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
        "Contents" => content_id,
        "LastModified" => Object::string_literal("D:20240728194207-04'00'"),
        "PieceInfo" => dictionary! {
            "ScanApp" => dictionary! { "Private" => Object::string_literal("pieceinfo-Maria") },
        },
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let xmp_id = document.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        XMP.as_bytes().to_vec(),
    ));
    let attached_id = document.add_object(Stream::new(
        dictionary! { "Type" => "EmbeddedFile" },
        b"the original photo, taken by Maria".to_vec(),
    ));
    let file_id = document.add_object(dictionary! {
        "Type" => "Filespec", "F" => Object::string_literal("photo-of-Maria.jpg"),
        "EF" => dictionary! { "F" => attached_id },
    });
    let catalog_id = document.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp_id,
        "Names" => dictionary! {
            "EmbeddedFiles" => dictionary! {
                "Names" => vec![Object::string_literal("photo.jpg"), file_id.into()],
            },
        },
    });
    let info_id = document.add_object(dictionary! {
        "Author" => Object::string_literal(OWNER),
        "Producer" => Object::string_literal(format!("{MAKE} {MODEL} scanner app")),
        "CreationDate" => Object::string_literal("D:20240728194207-04'00'"),
    });
    document.trailer.set("Root", catalog_id);
    document.trailer.set("Info", info_id);
    document.trailer.set(
        "ID",
        vec![
            Object::string_literal("id-Maria-0001"),
            Object::string_literal("id-Maria-0002"),
        ],
    );
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn pdf_keeps_its_page_image_and_loses_info_xmp_and_the_photo_exif() {
    let original = pdf_with_metadata(&scanner_page(REAL_PAYLOADS[1], true));
    assert!(contains(&original, OWNER.as_bytes()) && contains(&original, SERIAL.as_bytes()));

    let stripped = strip_metadata(&original, &limits()).unwrap();
    assert_same_pixels(&original, &stripped);
    assert_nothing_identifying(&stripped);
    assert!(!contains(&stripped, b"xmpmeta"));
    let document = Document::load_mem(&stripped).unwrap();
    assert!(document.trailer.get(b"Info").is_err());
    assert!(document.trailer.get(b"ID").is_err());
    assert!(document.catalog().unwrap().get(b"Metadata").is_err());
    // The page image is still a JPEG, without EXIF.
    let images: Vec<&Stream> = document
        .objects
        .values()
        .filter_map(|object| object.as_stream().ok())
        .filter(|stream| {
            stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image")
        })
        .collect();
    assert_eq!(images.len(), 1);
    assert!(images[0].content.starts_with(&[0xFF, 0xD8]));
    assert!(matches!(
        exif_fields(&images[0].content),
        Err(exif::Error::NotFound(_))
    ));
    assert_idempotent(&original, &stripped);
    assert_payload(&stripped, REAL_PAYLOADS[1]);
}

#[test]
fn what_cannot_be_stripped_is_refused_with_a_reason() {
    let check = |bytes: &[u8], expected: &str| {
        let error = strip_metadata(bytes, &limits()).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    };
    check(b"", "empty");
    check(
        b"GIF89a\x01\0\x01\0",
        "not a jpeg, png, tiff or pdf file (it starts with 47 49 46 38",
    );
    check(b"II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0", "BigTIFF");
    check(
        b"\xFF\xD8\xFF\xE1\x00\x40Exif",
        "ends before the 64 bytes of the segment ff e1 at byte 2",
    );
    check(b"\xFF\xD8\xFF\xD9", "no image data");
    check(
        b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR",
        "ends before the end of the IHDR chunk",
    );
    check(
        b"II*\0\x08\0\0\0\x01\0\x00\x01\x04\0\x01\0\0\0\x10\0\0\0\0\0\0\0",
        "neither StripOffsets nor TileOffsets",
    );
    check(
        b"MM\0*\0\0\0\x08\0\0",
        "the offset of the directory after page 1's",
    );
    let small = Limits {
        max_file_bytes: 3,
        ..Limits::default()
    };
    let error = strip_metadata(b"\xFF\xD8\xFF\xD9", &small).unwrap_err();
    assert_eq!(error, StripError::FileTooLarge { bytes: 4, limit: 3 });
}

/// Small files with metadata, one of each format, for the mutation tests.
fn small_originals() -> &'static [Vec<u8>; 4] {
    static ORIGINALS: OnceLock<[Vec<u8>; 4]> = OnceLock::new();
    ORIGINALS.get_or_init(|| {
        let page = small_page(REAL_PAYLOADS[2]);
        let jpeg = encode(
            std::slice::from_ref(&page),
            FileFormat::Jpeg { quality: 60 },
        )
        .unwrap();
        let png = encode(std::slice::from_ref(&page), FileFormat::Png).unwrap();
        [
            jpeg_with_metadata(&jpeg, Some(8)),
            png_with_metadata(&png).0,
            tiff_with_metadata(&[page.clone(), page.clone()]),
            pdf_with_metadata(&page),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = strip_metadata(&bytes, &limits());
    }

    #[test]
    fn random_bytes_after_a_magic_number_never_panic(
        magic in 0..4usize,
        rest in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let start: &[u8] = [&b"\xFF\xD8\xFF"[..], b"\x89PNG\r\n\x1a\n", b"II*\0", b"%PDF-1.4\n"][magic];
        let mut bytes = start.to_vec();
        bytes.extend_from_slice(&rest);
        let _ = strip_metadata(&bytes, &limits());
    }

    /// Cut and bit-flipped files give a stripped file or an error, never a panic; what strips
    /// strips to itself again.
    #[test]
    fn damaged_files_never_panic(
        which in 0..4usize,
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0..8u8), 0..6),
        truncate in any::<bool>(),
    ) {
        let mut bytes = small_originals()[which].clone();
        for (at, bit) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(stripped) = strip_metadata(&bytes, &limits()) {
            prop_assert_eq!(strip_metadata(&stripped, &limits()).ok(), Some(stripped));
        }
    }
}

/// Found by the `strip_metadata` fuzz target (crates/scan/fuzz): PDFs whose structure the parser
/// repairs (a page object that says `/Type /XRef`; a damaged catalog). Whatever stripping
/// accepts, it accepts again unchanged.
#[test]
fn pdfs_found_by_fuzzing_strip_to_a_fixed_point() {
    for original in [
        &include_bytes!("fuzz-found/strip-xref-page.pdf")[..],
        // A catalog whose /Pages key is damaged: the parser repairs it differently each pass.
        &include_bytes!("fuzz-found/strip-damaged-catalog.pdf")[..],
    ] {
        let Ok(once) = strip_metadata(original, &limits()) else {
            continue;
        };
        let twice = strip_metadata(&once, &limits()).expect("a stripped file strips again");
        assert_eq!(
            String::from_utf8_lossy(&twice),
            String::from_utf8_lossy(&once)
        );
    }
}
