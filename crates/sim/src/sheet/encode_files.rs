//! Captures -> file bytes, as scanners write them.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat};

use super::SheetError;

/// A file format to write captures in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// One page, baseline JPEG at this quality (1..=100).
    Jpeg {
        /// JPEG quality, 1..=100.
        quality: u8,
    },
    /// One page, PNG.
    Png,
    /// One or more pages, TIFF with LZW compression, one image file directory per page.
    Tiff,
    /// One or more pages, PDF with one JPEG (DCTDecode) image filling each page.
    Pdf {
        /// JPEG quality of the page images.
        quality: u8,
        /// Resolution the pages were scanned at, which sets the page size.
        dpi: u32,
    },
}

impl FileFormat {
    /// The usual file name extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Jpeg { .. } => "jpg",
            FileFormat::Png => "png",
            FileFormat::Tiff => "tif",
            FileFormat::Pdf { .. } => "pdf",
        }
    }
}

/// Encodes `pages` (one for JPEG and PNG) in `format`.
///
/// # Errors
/// [`SheetError::Invalid`] for no page, or several pages in a single-page format;
/// [`SheetError::Encode`] when the encoder fails.
pub fn encode(pages: &[DynamicImage], format: FileFormat) -> Result<Vec<u8>, SheetError> {
    let [first, ..] = pages else {
        return Err(SheetError::Invalid("no page to encode".to_owned()));
    };
    match format {
        FileFormat::Jpeg { quality } => {
            single(pages)?;
            jpeg(first, quality)
        }
        FileFormat::Png => {
            single(pages)?;
            let mut bytes = Cursor::new(Vec::new());
            first
                .write_to(&mut bytes, ImageFormat::Png)
                .map_err(|error| SheetError::Encode(error.to_string()))?;
            Ok(bytes.into_inner())
        }
        FileFormat::Tiff => tiff_pages(pages),
        FileFormat::Pdf { quality, dpi } => pdf_pages(pages, quality, dpi),
    }
}

fn single(pages: &[DynamicImage]) -> Result<(), SheetError> {
    if pages.len() == 1 {
        Ok(())
    } else {
        Err(SheetError::Invalid(format!(
            "this format holds one page, {} were given",
            pages.len()
        )))
    }
}

/// Baseline JPEG as scanners write it: 4:2:0 chroma below quality 90, 4:4:4 from 90 (the
/// encoder's default, as libjpeg's tools do).
fn jpeg(page: &DynamicImage, quality: u8) -> Result<Vec<u8>, SheetError> {
    let side = |pixels: u32| {
        u16::try_from(pixels).map_err(|_| {
            SheetError::Invalid(format!("{pixels} pixels is too large a side for a jpeg"))
        })
    };
    let (width, height) = (side(page.width())?, side(page.height())?);
    let mut bytes = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut bytes, quality.clamp(1, 100));
    // JPEG has no alpha; scanners deliver RGB or grey.
    let result = match page {
        DynamicImage::ImageLuma8(grey) => {
            encoder.encode(grey.as_raw(), width, height, jpeg_encoder::ColorType::Luma)
        }
        DynamicImage::ImageRgb8(rgb) => {
            encoder.encode(rgb.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        }
        other => encoder.encode(
            other.to_rgb8().as_raw(),
            width,
            height,
            jpeg_encoder::ColorType::Rgb,
        ),
    };
    result.map_err(|error| SheetError::Encode(error.to_string()))?;
    Ok(bytes)
}

fn tiff_pages(pages: &[DynamicImage]) -> Result<Vec<u8>, SheetError> {
    use tiff::encoder::{Compression, TiffEncoder, colortype};
    let failed = |error: tiff::TiffError| SheetError::Encode(error.to_string());
    let mut bytes = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut bytes)
        .map_err(failed)?
        .with_compression(Compression::Lzw);
    for page in pages {
        match page {
            DynamicImage::ImageLuma8(grey) => encoder
                .write_image::<colortype::Gray8>(grey.width(), grey.height(), grey.as_raw())
                .map_err(failed)?,
            other => {
                let rgb = other.to_rgb8();
                encoder
                    .write_image::<colortype::RGB8>(rgb.width(), rgb.height(), rgb.as_raw())
                    .map_err(failed)?;
            }
        }
    }
    Ok(bytes.into_inner())
}

/// A minimal PDF 1.4: catalog, page tree, and per page a page object, its content stream
/// (`q w 0 0 h 0 0 cm /Im0 Do Q`) and its JPEG image XObject. Written by hand: it is the shape
/// scanner firmware writes, and a writer library would add nothing but dependencies.
fn pdf_pages(pages: &[DynamicImage], quality: u8, dpi: u32) -> Result<Vec<u8>, SheetError> {
    if dpi == 0 {
        return Err(SheetError::Invalid(
            "a pdf needs a resolution above 0 dpi".to_owned(),
        ));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    let page_count = pages.len();
    // Objects: 1 catalog, 2 page tree, then per page i: 3+3i page, 4+3i content, 5+3i image.
    let mut object = |out: &mut Vec<u8>, number: usize, body: &[u8]| {
        if offsets.len() < number {
            offsets.resize(number, 0);
        }
        offsets[number - 1] = out.len();
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..page_count)
        .map(|index| format!("{} 0 R", 3 + 3 * index))
        .collect();
    object(
        &mut out,
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        )
        .as_bytes(),
    );
    for (index, page) in pages.iter().enumerate() {
        let (page_number, content_number, image_number) =
            (3 + 3 * index, 4 + 3 * index, 5 + 3 * index);
        let width_points = f64::from(page.width()) * 72.0 / f64::from(dpi);
        let height_points = f64::from(page.height()) * 72.0 / f64::from(dpi);
        object(
            &mut out,
            page_number,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_points:.2} {height_points:.2}] \
                 /Resources << /XObject << /Im0 {image_number} 0 R >> >> /Contents {content_number} 0 R >>"
            )
            .as_bytes(),
        );
        let content = format!("q {width_points:.2} 0 0 {height_points:.2} 0 0 cm /Im0 Do Q");
        object(
            &mut out,
            content_number,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
        let data = jpeg(page, quality)?;
        let colour_space = if matches!(page, DynamicImage::ImageLuma8(_)) {
            "DeviceGray"
        } else {
            "DeviceRGB"
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{colour_space} \
             /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            page.width(),
            page.height(),
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        object(&mut out, image_number, &body);
    }
    let xref = out.len();
    let count = offsets.len() + 1;
    out.extend_from_slice(format!("xref\n0 {count}\n0000000000 65535 f \n").as_bytes());
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    Ok(out)
}
