//! Renders one sheet per condition into a folder, as JPEG files, to look at.
//!
//! `cargo run -p veedor-sim --example render_conditions -- OUT_DIR [SEED]`

use std::path::PathBuf;

use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let folder = PathBuf::from(
        arguments
            .next()
            .ok_or("usage: render_conditions OUT_DIR [SEED]")?,
    );
    let seed: u64 = arguments
        .next()
        .map(|seed| seed.parse())
        .transpose()?
        .unwrap_or(1);
    std::fs::create_dir_all(&folder)?;
    let payload = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";
    let place = Ve2024Place {
        state: "EDO. ZULIA".to_owned(),
        municipality: "MP. MARACAIBO".to_owned(),
        parish: "PQ. CHIQUINQUIRA".to_owned(),
        centre: "U.E. NACIONAL SIMON BOLIVAR".to_owned(),
    };
    let sheet = Sheet::ve2024(payload, &place)?;
    for condition in Condition::ALL {
        let degradation = condition.degradation(seed);
        let image = render(&sheet, &degradation)?;
        let bytes = encode(
            &[image],
            FileFormat::Jpeg {
                quality: degradation.jpeg_quality,
            },
        )?;
        let path = folder.join(format!("{}.jpg", condition.name()));
        std::fs::write(&path, bytes)?;
        println!("{}", path.display());
    }
    Ok(())
}
