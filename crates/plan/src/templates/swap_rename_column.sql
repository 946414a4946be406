-- sluice:ignore renaming-column -- the shadow column takes the name the code uses; the swap is one transaction
ALTER TABLE {{ table | qname }} RENAME COLUMN {{ from | ident }} TO {{ to | ident }};
